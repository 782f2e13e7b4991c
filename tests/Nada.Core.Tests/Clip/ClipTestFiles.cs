using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

/// <summary>Locates the parity vectors (NADA_PARITY_DIR, default ../shared/parity from the repository root).</summary>
internal static class ClipParityFiles
{
    public static string Dir => ParityFiles.Dir;

    public static string File(string name) => Path.Combine(Dir, name);

    /// <summary>The "clip" section of config.json.</summary>
    public static JsonElement ClipConfig()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File("config.json")));
        return doc.RootElement.GetProperty("clip").Clone();
    }
}

/// <summary>The tensors and metadata of an expected-value twin, read with <see cref="Core.Checkpoints.SafeTensorsFile"/>.</summary>
internal sealed class ExpectedTensors : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    public ExpectedTensors(string path) => (tensors, Metadata) = Core.Checkpoints.SafeTensorsFile.Load(path);

    public Dictionary<string, string> Metadata { get; }

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
