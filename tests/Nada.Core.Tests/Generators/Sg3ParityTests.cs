using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Our StyleGAN3 against NVIDIA's stylegan3 outputs (parity README: <c>nvlabs/sg3t.pkl</c>, <c>nvlabs/sg3r.pkl</c>
/// and their <c>*_expected.safetensors</c>): ws = mapping(z), images at psi 1 and 0.7, and synthesis of perturbed
/// W+, each from the pickle directly and after a round trip through our format, with the fast and the reference
/// filtered leaky ReLU. Shapes come from the files. Bound: max abs error 5e-4.
/// </summary>
public class Sg3ParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 5e-4;

    [Theory]
    [InlineData("sg3t", false)]
    [InlineData("sg3t", true)]
    [InlineData("sg3r", false)]
    [InlineData("sg3r", true)]
    public void PickleMatchesReference(string name, bool roundTrip)
    {
        using var scope = NewDisposeScope();
        using var g = Load(Sg2TestData.File("nvlabs", name + ".pkl"), roundTrip);
        var (e, _) = Sg2TestData.ReadSafeTensors(Sg2TestData.File("nvlabs", name + "_expected.safetensors"));
        using var noGrad = no_grad();
        var z = e["z"];
        Assert.Equal(e["ws"].shape[1], g.Config.NumWs);
        Assert.Equal(e["img_psi1"].shape[2], g.Config.ImgResolution);
        string tag = roundTrip ? $"{name} (via our format)" : name;
        Check($"{tag} ws", g.MapToWPlus(z), e["ws"]);
        Check($"{tag} img_psi1", g.Generate(z, 1f), e["img_psi1"]);
        Check($"{tag} img_psi07", g.Generate(z, 0.7f), e["img_psi07"]);
        Check($"{tag} img_from_ws_perturbed", g.Synthesis(e["ws_perturbed"]), e["img_from_ws_perturbed"]);
        g.SetReferenceOps(true);
        Check($"{tag} img_psi1 (reference filtered_lrelu)", g.Generate(z, 1f), e["img_psi1"]);
        Check($"{tag} img_from_ws_perturbed (reference filtered_lrelu)", g.Synthesis(e["ws_perturbed"]), e["img_from_ws_perturbed"]);
    }

    private static StyleGan3Generator Load(string path, bool roundTrip)
    {
        var (loaded, format) = GeneratorLoader.Load(path);
        Assert.Equal(GeneratorFormat.NvidiaStyleGan3, format);
        var g = Assert.IsType<StyleGan3Generator>(loaded);
        if (!roundTrip) return g;
        var dir = Directory.CreateTempSubdirectory("nada-sg3-");
        try
        {
            var written = GeneratorLoader.Save(g, Path.Combine(dir.FullName, "gen"));
            g.Dispose();
            Assert.True(File.Exists(Path.Combine(dir.FullName, "gen.json")));
            var (again, againFormat) = GeneratorLoader.Load(written);
            Assert.Equal(GeneratorFormat.Nada, againFormat);
            return Assert.IsType<StyleGan3Generator>(again);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private void Check(string what, Tensor actual, Tensor expected)
    {
        var err = Sg2TestData.MaxAbs(actual, expected);
        log.WriteLine($"{what}: max abs error {err:E2} (expected max abs {expected.abs().max().item<float>():F3})");
        Assert.True(err <= Tolerance, $"{what}: max abs error {err} > {Tolerance}");
    }
}
