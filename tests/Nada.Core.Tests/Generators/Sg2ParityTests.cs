using System.Text.RegularExpressions;
using Nada.Core.Generators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Our StyleGAN2 against the reference implementations' outputs (parity README): rosinality checkpoint,
/// NVIDIA stylegan2-ada-pytorch pickle and TF StyleGAN2 pickle, each loaded directly and after a round trip
/// through our format. Bound: max abs error 1e-4 for images and W.
/// </summary>
public class Sg2ParityTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RosinalityCheckpointMatchesReference(bool roundTrip)
    {
        using var scope = NewDisposeScope();
        using var g = Load(Sg2TestData.File("stylegan2_rosinality.pt"), roundTrip);
        var (e, _) = Sg2TestData.ReadSafeTensors(Sg2TestData.File("stylegan2_expected.safetensors"));
        using var noGrad = no_grad();
        var z = e["z"];
        Check("rosinality w", g.Mapping(z), e["w"]);
        Check("rosinality img_psi1", g.Generate(z, 1f, NoiseMode.Const), e["img_psi1"]);
        Check("rosinality img_psi07", g.Generate(z, 0.7f, NoiseMode.Const), e["img_psi07"]);
        // img_mix_inject<K>: z drives W+ entries [0, K), z2 drives [K, n_latent) (README).
        var mixKey = e.Keys.Single(k => k.StartsWith("img_mix_inject", StringComparison.Ordinal));
        int inject = int.Parse(Regex.Match(mixKey, @"\d+$").Value);
        Check($"rosinality {mixKey}", g.Generate(z, 1f, NoiseMode.Const, e["z2"], inject), e[mixKey]);
        Check("rosinality img_wplus", g.Synthesis(e["wplus"], NoiseMode.Const), e["img_wplus"]);
        g.SetFusedModConv(false);
        Check("rosinality img_psi1 (non-fused modconv)", g.Generate(z, 1f, NoiseMode.Const), e["img_psi1"]);
        Check("rosinality img_wplus (non-fused modconv)", g.Synthesis(e["wplus"], NoiseMode.Const), e["img_wplus"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NvidiaAdaPickleMatchesReference(bool roundTrip)
    {
        using var scope = NewDisposeScope();
        using var g = Load(Sg2TestData.File("nvlabs", "sg2ada.pkl"), roundTrip);
        var (e, _) = Sg2TestData.ReadSafeTensors(Sg2TestData.File("nvlabs", "sg2ada_expected.safetensors"));
        using var noGrad = no_grad();
        var z = e["z"];
        Assert.Equal(e["ws"].shape[1], g.Config.NumWs);
        Check("sg2ada ws", g.MapToWPlus(z), e["ws"]);
        Check("sg2ada img_psi1", g.Generate(z, 1f, NoiseMode.Const), e["img_psi1"]);
        Check("sg2ada img_psi07", g.Generate(z, 0.7f, NoiseMode.Const), e["img_psi07"]);
        Check("sg2ada img_from_ws_perturbed", g.Synthesis(e["ws_perturbed"], NoiseMode.Const), e["img_from_ws_perturbed"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TensorFlowPickleMatchesReference(bool roundTrip)
    {
        using var scope = NewDisposeScope();
        using var g = Load(Sg2TestData.File("nvlabs", "sg2tf.pkl"), roundTrip);
        var (e, _) = Sg2TestData.ReadSafeTensors(Sg2TestData.File("nvlabs", "sg2tf_expected.safetensors"));
        using var noGrad = no_grad();
        var z = e["z"];
        Check("sg2tf img_psi1", g.Generate(z, 1f, NoiseMode.Const), e["img_psi1"]);
        Check("sg2tf img_psi07", g.Generate(z, 0.7f, NoiseMode.Const), e["img_psi07"]);
    }

    private StyleGan2Generator Load(string path, bool roundTrip)
    {
        var g = (StyleGan2Generator)GeneratorLoader.LoadGenerator(path);
        if (!roundTrip) return g;
        var dir = Directory.CreateTempSubdirectory("nada-sg2-");
        try
        {
            var written = GeneratorLoader.Save(g, Path.Combine(dir.FullName, "gen"));
            g.Dispose();
            Assert.True(File.Exists(Path.Combine(dir.FullName, "gen.json")));
            return (StyleGan2Generator)GeneratorLoader.LoadGenerator(written);
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
