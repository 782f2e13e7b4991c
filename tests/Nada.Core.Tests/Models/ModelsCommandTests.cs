using System.CommandLine;
using Nada.Cli.Commands;
using Nada.Core.Models;

namespace Nada.Core.Tests.Models;

/// <summary><c>nada models list | download | verify</c> run in-process against a local HTTP server.</summary>
public class ModelsCommandTests
{
    private static async Task<(int Exit, string Output, string Error)> RunAsync(ModelTestEnvironment env, Func<string, string?>? environment, params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(ModelsCommand.Create(new ModelsCommandSettings
        {
            Http = env.Http,
            Download = ModelTestEnvironment.FastOptions,
            GetEnvironment = environment ?? (_ => null),
        }));
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static (byte[] Content, string Registry) Setup(ModelTestEnvironment env, bool publishHash = true)
    {
        byte[] content = ModelTestEnvironment.RandomBytes(200_000, 21);
        env.Server.Serve("/a.pkl", content);
        string registry = env.WriteRegistry(
            ModelTestEnvironment.Entry("a", "a.pkl", [env.Server.Url("/a.pkl")], publishHash ? ModelTestEnvironment.Sha(content) : null),
            ModelTestEnvironment.Entry("b", "b.pkl", [env.Server.Url("/b.pkl")], null));
        return (content, registry);
    }

    [Fact]
    public async Task ListShowsStateAndHashColumns()
    {
        await using var env = new ModelTestEnvironment();
        var (_, registry) = Setup(env);
        Directory.CreateDirectory(env.ModelsDir);
        File.WriteAllBytes(Path.Combine(env.ModelsDir, "b.pkl"), [1, 2, 3]);

        var (exit, output, error) = await RunAsync(env, null, "models", "list", "--registry", registry, "--models-dir", env.ModelsDir);

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("ID ") && l.Contains("STATE") && l.Contains("SHA-256"));
        Assert.Matches(@"^a\s+StyleGAN2\s+256\s+nvlabs-pickle\s+missing\s+published\s+a\.pkl", lines.Single(l => l.StartsWith("a ")));
        Assert.Matches(@"^b\s+.*present\s+unpublished\s+b\.pkl", lines.Single(l => l.StartsWith("b ")));
    }

    [Fact]
    public async Task DownloadPrintsProgressAndVerifyPassesThenFailsAfterTampering()
    {
        await using var env = new ModelTestEnvironment();
        var (content, registry) = Setup(env);
        string[] common = ["--registry", registry, "--models-dir", env.ModelsDir];

        var download = await RunAsync(env, null, ["models", "download", "a", .. common]);
        Assert.Equal(0, download.Exit);
        Assert.Contains("a: connecting to " + env.Server.Url("/a.pkl"), download.Output);
        Assert.Contains("a: done", download.Output);
        Assert.Contains($"a: ready at {Path.Combine(env.ModelsDir, "a.pkl")}", download.Output);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(env.ModelsDir, "a.pkl")));

        var verify = await RunAsync(env, null, ["models", "verify", .. common]);
        Assert.Equal(0, verify.Exit);
        Assert.Contains("ok     a: SHA-256", verify.Output);

        File.WriteAllBytes(Path.Combine(env.ModelsDir, "a.pkl"), new byte[content.Length]);
        var tampered = await RunAsync(env, null, ["models", "verify", "a", .. common]);
        Assert.Equal(1, tampered.Exit);
        Assert.Contains("FAILED a:", tampered.Output);
        Assert.Equal("error: 1 model(s) failed verification: a", tampered.Error.Trim());
    }

    [Fact]
    public async Task EnvironmentVariablesChooseRegistryAndFolder()
    {
        await using var env = new ModelTestEnvironment();
        var (content, registry) = Setup(env);
        var variables = new Dictionary<string, string>
        {
            [ModelsCommand.RegistryVariable] = registry,
            [ModelsCommand.ModelsDirVariable] = env.ModelsDir,
        };

        var (exit, _, error) = await RunAsync(env, variables.GetValueOrDefault, "models", "download", "a");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(env.ModelsDir, "a.pkl")));
    }

    [Fact]
    public async Task ErrorsAreOneLineAndExitOne()
    {
        await using var env = new ModelTestEnvironment();
        var (_, registry) = Setup(env);
        string[] common = ["--registry", registry, "--models-dir", env.ModelsDir];

        var unknown = await RunAsync(env, null, ["models", "download", "zzz", .. common]);
        Assert.Equal(1, unknown.Exit);
        Assert.StartsWith("error: unknown model 'zzz'", unknown.Error);
        Assert.Single(unknown.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var notFound = await RunAsync(env, null, ["models", "download", "b", .. common]); // the server has no /b.pkl
        Assert.Equal(1, notFound.Exit);
        var line = Assert.Single(notFound.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: model 'b': ", line);
        Assert.Contains(env.Server.Url("/b.pkl"), line);
        Assert.Contains(Path.Combine(env.ModelsDir, "b.pkl"), line);

        var badRegistry = await RunAsync(env, null, "models", "list", "--registry", Path.Combine(env.Root, "none.json"));
        Assert.Equal(1, badRegistry.Exit);
        Assert.StartsWith("error: model registry file", badRegistry.Error);
    }
}
