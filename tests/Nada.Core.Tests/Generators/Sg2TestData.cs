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

    /// <summary>The expected tensors and metadata of a parity <c>*_expected.safetensors</c> twin.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadSafeTensors(string path) =>
        Core.Checkpoints.SafeTensorsFile.Load(path);

    public static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
