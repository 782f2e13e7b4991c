using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

/// <summary>Locates the parity vectors (NADA_PARITY_DIR, default ../shared/parity from the repository root).</summary>
internal static class ClipParityFiles
{
    public static string Dir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("NADA_PARITY_DIR");
            if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "NadaWeb.sln"))) dir = dir.Parent;
            if (dir is null) throw new InvalidOperationException("Cannot find the repository root; set NADA_PARITY_DIR.");
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "parity"));
        }
    }

    public static string File(string name) => Path.Combine(Dir, name);

    /// <summary>The "clip" section of config.json.</summary>
    public static JsonElement ClipConfig()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File("config.json")));
        return doc.RootElement.GetProperty("clip").Clone();
    }
}

/// <summary>
/// Minimal safetensors reading for the expected-value twins (test only): 8-byte little-endian header
/// length, JSON header, raw little-endian data. F32, I32 and I64 only.
/// </summary>
internal sealed class ExpectedTensors : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors = new();
    public Dictionary<string, string> Metadata { get; } = new();

    public ExpectedTensors(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        var n = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, n));
        var dataStart = 8 + n;
        foreach (var p in header.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject()) Metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var span = bytes.AsSpan(dataStart + offsets[0], offsets[1] - offsets[0]);
            tensors[p.Name] = p.Value.GetProperty("dtype").GetString() switch
            {
                "F32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(span).ToArray(), shape),
                "I32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(span).ToArray(), shape),
                "I64" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(span).ToArray(), shape),
                var d => throw new NotSupportedException($"dtype {d}"),
            };
        }
    }

    public Tensor this[string name] => tensors[name];

    public T Meta<T>(string name) => JsonSerializer.Deserialize<T>(Metadata[name])!;

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}

/// <summary>Error measures used by the parity tests.</summary>
internal static class Errors
{
    public static double MaxAbs(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    /// <summary>Max abs error divided by the expected tensor's max abs.</summary>
    public static double MaxAbsRelative(Tensor actual, Tensor expected) => MaxAbs(actual, expected) / expected.abs().max().to(ScalarType.Float64).item<double>();

    public static double RelativeL2(Tensor actual, Tensor expected) =>
        (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).norm().item<double>() / expected.to(ScalarType.Float64).norm().item<double>();
}
