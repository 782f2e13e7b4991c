using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>Locates the parity vectors (NADA_PARITY_DIR, default ../shared/parity from the repository root).</summary>
internal static class Sg2TestData
{
    public static string ParityDir => ParityFiles.Dir;

    public static string File(params string[] parts) => Path.Combine([ParityDir, .. parts]);

    /// <summary>The expected tensors and metadata of a parity <c>*_expected.safetensors</c> twin.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadSafeTensors(string path) =>
        Core.Checkpoints.SafeTensorsFile.Load(path);

    public static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
