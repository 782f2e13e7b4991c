using Nada.Core.Tests.Infrastructure;

namespace Nada.Core.Tests.Models;

/// <summary>Two <c>nada</c> processes downloading the same model at once: the lock file lets only one fetch it.</summary>
public class ModelsCrossProcessTests
{
    [Fact]
    public async Task TwoProcessesDownloadingTheSameModelFetchItOnce()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(200_000, 31);
        var route = env.Server.Serve("/a.pkl", content);
        route.Delay = TimeSpan.FromSeconds(3); // long enough for the second process to start while the first waits
        string registry = env.WriteRegistry(
            ModelTestEnvironment.Entry("a", "a.pkl", [env.Server.Url("/a.pkl")], ModelTestEnvironment.Sha(content)));

        var first = StartNada("models", "download", "a", "--registry", registry, "--models-dir", env.ModelsDir);
        var second = StartNada("models", "download", "a", "--registry", registry, "--models-dir", env.ModelsDir);
        var results = await Task.WhenAll(first, second);

        Assert.All(results, r => Assert.True(r.Exit == 0, r.Output));
        Assert.Equal(1, route.Requests);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(env.ModelsDir, "a.pkl")));
        Assert.Single(results, r => r.Output.Contains("already present"));
    }

    private static async Task<(int Exit, string Output)> StartNada(params string[] args)
    {
        var r = await CliProcess.RunAsync(args, TimeSpan.FromSeconds(60));
        return (r.Exit, r.Output);
    }
}
