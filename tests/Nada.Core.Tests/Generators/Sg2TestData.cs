using System.Text.Json;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>Locates the parity vectors (NADA_PARITY_DIR, default ../shared/parity from the repository root).</summary>
internal static class Sg2TestData
{
    public static string ParityDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("NADA_PARITY_DIR");
            if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "NadaWeb.sln"))) dir = dir.Parent;
            if (dir is null) throw new DirectoryNotFoundException("Repository root (NadaWeb.sln) not found; set NADA_PARITY_DIR.");
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "parity"));
        }
    }

    public static string File(params string[] parts) => Path.Combine([ParityDir, .. parts]);

    /// <summary>
    /// Reads a float32/int safetensors file (test-only helper for the expected twins:
    /// 8-byte header length, JSON header, raw little-endian data).
    /// </summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadSafeTensors(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var tensors = new Dictionary<string, Tensor>();
        var meta = new Dictionary<string, string>();
        foreach (var prop in header.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var dtype = prop.Value.GetProperty("dtype").GetString();
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var span = bytes.AsSpan((int)(8 + n + offs[0]), (int)(offs[1] - offs[0]));
            tensors[prop.Name] = dtype switch
            {
                "F32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(span).ToArray(), shape),
                "I64" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(span).ToArray(), shape),
                "I32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(span).ToArray(), shape),
                _ => throw new NotSupportedException($"dtype {dtype} in {path}"),
            };
        }
        return (tensors, meta);
    }

    public static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
