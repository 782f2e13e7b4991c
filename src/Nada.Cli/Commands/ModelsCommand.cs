using System.CommandLine;
using System.Globalization;
using Nada.Core.Models;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada models list | download ID... | verify [ID...]</c>: the model registry and the models folder.
/// Errors print one <c>error: ...</c> line and exit with 1.
/// </summary>
public static class ModelsCommand
{
    /// <summary>Environment variable naming the models folder.</summary>
    public const string ModelsDirVariable = "NADA_MODELS_DIR";

    /// <summary>Environment variable naming a registry file that replaces the built-in one.</summary>
    public const string RegistryVariable = "NADA_MODEL_REGISTRY";

    /// <summary>The <c>models</c> command with default settings.</summary>
    public static Command Create() => Create(new ModelsCommandSettings());

    /// <summary>The <c>models</c> command with injected settings (tests: fast retries, fake environment).</summary>
    public static Command Create(ModelsCommandSettings settings)
    {
        var modelsDir = new Option<string?>("--models-dir")
        {
            Description = $"Folder that holds the model files (default: ${ModelsDirVariable}, else {DefaultModelsDirectory()})",
            Recursive = true,
        };
        var registry = new Option<string?>("--registry")
        {
            Description = $"Registry JSON file that replaces the built-in list (default: ${RegistryVariable})",
            Recursive = true,
        };

        var command = new Command("models", "List, download and verify the pretrained models (StyleGAN generators, CLIP)");
        command.Options.Add(modelsDir);
        command.Options.Add(registry);

        var list = new Command("list", "Show every model in the registry and whether it is in the models folder");
        list.SetAction(parse => Run(parse, settings, modelsDir, registry, (store, output, _) => ListModels(store, output)));

        var downloadIds = new Argument<string[]>("ID") { Description = "Model ids (see `nada models list`)", Arity = ArgumentArity.OneOrMore };
        var download = new Command("download", "Download models into the models folder (resumes, verifies, skips files already present)");
        download.Arguments.Add(downloadIds);
        download.SetAction((parse, ct) => RunAsync(parse, settings, modelsDir, registry,
            (store, output, token) => DownloadModels(store, parse.GetValue(downloadIds) ?? [], output, token), ct));

        var verifyIds = new Argument<string[]>("ID") { Description = "Model ids; all present models when omitted", Arity = ArgumentArity.ZeroOrMore };
        var verify = new Command("verify", "Check model files against the published SHA-256, or the hash recorded at first download");
        verify.Arguments.Add(verifyIds);
        verify.SetAction((parse, ct) => RunAsync(parse, settings, modelsDir, registry,
            (store, output, token) => Task.FromResult(VerifyModels(store, parse.GetValue(verifyIds) ?? [], output, token)), ct));

        command.Subcommands.Add(list);
        command.Subcommands.Add(download);
        command.Subcommands.Add(verify);
        return command;
    }

    /// <summary>Default models folder when neither --models-dir nor the environment names one.</summary>
    public static string DefaultModelsDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
            "nada", "models");

    private static int Run(ParseResult parse, ModelsCommandSettings settings, Option<string?> modelsDir, Option<string?> registry,
        Func<ModelStore, TextWriter, CancellationToken, int> body) =>
        RunAsync(parse, settings, modelsDir, registry, (s, o, c) => Task.FromResult(body(s, o, c)), CancellationToken.None)
            .GetAwaiter().GetResult();

    private static async Task<int> RunAsync(ParseResult parse, ModelsCommandSettings settings, Option<string?> modelsDir,
        Option<string?> registry, Func<ModelStore, TextWriter, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            string? registryPath = parse.GetValue(registry) ?? NonEmpty(settings.GetEnvironment(RegistryVariable));
            string dir = parse.GetValue(modelsDir) ?? NonEmpty(settings.GetEnvironment(ModelsDirVariable)) ?? DefaultModelsDirectory();
            var store = new ModelStore(ModelRegistry.Load(registryPath), dir, settings.Http, settings.Download);
            return await body(store, output, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            error.WriteLine("error: cancelled; a partial download stays as .part and resumes next time");
            return 1;
        }
        catch (Exception ex) when (ex is ModelStoreException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {OneLine(ex.Message)}");
            return 1;
        }
    }

    private static int ListModels(ModelStore store, TextWriter output)
    {
        output.WriteLine($"models folder: {store.ModelsDirectory}");
        output.WriteLine($"registry: {store.Registry.Source}");
        var rows = store.List().Select(s => new[]
        {
            s.Entry.Id, s.Entry.Family.Name(), s.Entry.Resolution.ToString(CultureInfo.InvariantCulture), s.Entry.Format.Name(),
            s.IsPresent ? "present" : "missing",
            s.Entry.HashPublished ? "published" : s.RecordedSha256 is not null ? "recorded" : "unpublished",
            s.Entry.FileName,
        }).ToList();
        WriteTable(output, ["ID", "FAMILY", "RES", "FORMAT", "STATE", "SHA-256", "FILE"], rows);
        return 0;
    }

    private static async Task<int> DownloadModels(ModelStore store, string[] ids, TextWriter output, CancellationToken ct)
    {
        foreach (var id in ids) store.Registry.Find(id); // fail on a typo before any download starts
        foreach (var id in ids)
        {
            var progress = new LineProgress(output, TimeSpan.FromSeconds(1));
            string path = await store.DownloadAsync(id, progress, ct);
            output.WriteLine($"{id}: ready at {path}");
        }
        return 0;
    }

    private static int VerifyModels(ModelStore store, string[] ids, TextWriter output, CancellationToken ct)
    {
        var targets = ids.Length > 0
            ? ids.Select(id => store.Registry.Find(id).Id).ToArray()
            : store.List().Where(s => s.IsPresent).Select(s => s.Entry.Id).ToArray();
        if (targets.Length == 0)
        {
            output.WriteLine($"no models present in {store.ModelsDirectory}");
            return 0;
        }
        var failed = new List<string>();
        foreach (var id in targets)
        {
            var result = store.Verify(id, ct);
            output.WriteLine($"{(result.IsOk ? "ok" : "FAILED"),-6} {id}: {result.Message}");
            if (!result.IsOk) failed.Add(id);
        }
        if (failed.Count == 0) return 0;
        throw new ModelStoreException($"{failed.Count} model(s) failed verification: {string.Join(", ", failed)}");
    }

    private static void WriteTable(TextWriter output, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i])));
        output.WriteLine(Line(header));
        foreach (var row in rows) output.WriteLine(Line(row));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    /// <summary>Prints download progress as plain lines, at most one per interval plus every phase change.</summary>
    private sealed class LineProgress(TextWriter output, TimeSpan interval) : IProgress<DownloadProgress>
    {
        private DateTime _last = DateTime.MinValue;
        private DownloadPhase? _phase;

        public void Report(DownloadProgress p)
        {
            var now = DateTime.UtcNow;
            bool phaseChanged = p.Phase != _phase;
            if (!phaseChanged && p.Message is null && now - _last < interval) return;
            _last = now;
            _phase = p.Phase;
            output.WriteLine(Format(p));
        }

        private static string Format(DownloadProgress p)
        {
            string text = p.Phase switch
            {
                DownloadPhase.Connecting => $"connecting to {p.Url}",
                DownloadPhase.Downloading => $"{Bytes(p.BytesDone)}" + (p.TotalBytes is { } t ? $" / {Bytes(t)} ({p.Fraction:P1})" : "")
                    + $", {Bytes((long)p.BytesPerSecond)}/s" + (p.Eta is { } eta ? $", ETA {eta:hh\\:mm\\:ss}" : ""),
                DownloadPhase.Retrying => "waiting to retry",
                DownloadPhase.Verifying => $"verifying {Bytes(p.BytesDone)}",
                DownloadPhase.Completed => "done",
                _ => p.Phase.ToString(),
            };
            return $"{p.ModelId}: {text}" + (p.Message is null ? "" : $" ({p.Message})");
        }

        private static string Bytes(long n) => n switch
        {
            >= 1L << 30 => $"{n / (double)(1L << 30):0.00} GiB",
            >= 1L << 20 => $"{n / (double)(1L << 20):0.0} MiB",
            >= 1L << 10 => $"{n / 1024.0:0.0} KiB",
            _ => $"{n} B",
        };
    }
}

/// <summary>Settings of <see cref="ModelsCommand"/> that tests replace: HTTP client, retry timings, environment.</summary>
public sealed record ModelsCommandSettings
{
    /// <summary>HTTP client for downloads; null = a new one suited to large files.</summary>
    public HttpClient? Http { get; init; }

    /// <summary>Retry and timeout settings.</summary>
    public DownloadOptions Download { get; init; } = new();

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> GetEnvironment { get; init; } = Environment.GetEnvironmentVariable;
}
