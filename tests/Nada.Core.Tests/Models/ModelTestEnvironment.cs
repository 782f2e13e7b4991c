using System.Security.Cryptography;
using System.Text.Json;
using Nada.Core.Models;

namespace Nada.Core.Tests.Models;

/// <summary>A temp models folder, a local HTTP server and helpers to write a test registry pointing at it.</summary>
internal sealed class ModelTestEnvironment : IAsyncDisposable
{
    public ModelTestEnvironment()
    {
        Root = Path.Combine(Path.GetTempPath(), "nada-models-" + Guid.NewGuid().ToString("N"));
        ModelsDir = Path.Combine(Root, "models");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }
    public string ModelsDir { get; }
    public TestHttpServer Server { get; } = new();
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Fast retries so failure tests take milliseconds.</summary>
    public static DownloadOptions FastOptions { get; } = new()
    {
        MaxAttempts = 3,
        InitialRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        StallTimeout = TimeSpan.FromSeconds(10),
        ProgressInterval = TimeSpan.Zero,
        LockPollInterval = TimeSpan.FromMilliseconds(20),
        LockTimeout = TimeSpan.FromSeconds(10),
        BufferSize = 4096,
    };

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A registry entry as JSON (the same shape as Data/models.json).</summary>
    public static Dictionary<string, object?> Entry(string id, string fileName, string[] urls, string? sha256, long? size = null) => new()
    {
        ["id"] = id,
        ["displayName"] = $"Test {id}",
        ["domain"] = "test bytes",
        ["resolution"] = 256,
        ["family"] = "StyleGAN2",
        ["format"] = "nvlabs-pickle",
        ["fileName"] = fileName,
        ["urls"] = urls,
        ["sha256"] = sha256,
        ["sizeBytes"] = size,
        ["license"] = "test",
        ["sourcePage"] = "https://example.invalid/test",
    };

    /// <summary>Writes a registry file holding <paramref name="entries"/> and returns its path.</summary>
    public string WriteRegistry(params Dictionary<string, object?>[] entries)
    {
        string path = Path.Combine(Root, $"registry-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { version = 1, models = entries }));
        return path;
    }

    public ModelStore Store(params Dictionary<string, object?>[] entries) =>
        new(ModelRegistry.LoadFile(WriteRegistry(entries)), ModelsDir, Http, FastOptions);

    /// <summary>Files left in the models folder (not counting the .locks folder).</summary>
    public string[] FilesInModelsDir() => Directory.Exists(ModelsDir)
        ? Directory.GetFiles(ModelsDir).Select(f => Path.GetFileName(f)).ToArray()
        : [];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Http.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Collects progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them later).</summary>
internal sealed class RecordingProgress : IProgress<DownloadProgress>
{
    private readonly List<DownloadProgress> _reports = [];

    public IReadOnlyList<DownloadProgress> Reports
    {
        get { lock (_reports) return _reports.ToArray(); }
    }

    public void Report(DownloadProgress value)
    {
        lock (_reports) _reports.Add(value);
    }
}
