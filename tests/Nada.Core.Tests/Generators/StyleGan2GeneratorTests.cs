using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

public class StyleGan2GeneratorTests
{
    private static StyleGan2Config ParityLikeConfig() => new(
        ImgResolution: 32, ZDim: 16, WDim: 16, MappingLayers: 3,
        Channels: new Dictionary<int, int> { [4] = 16, [8] = 16, [16] = 8, [32] = 8 });

    [Fact]
    public void StateDictUsesRosinalityNamesAndShapes()
    {
        using var scope = NewDisposeScope();
        var cfg = ParityLikeConfig();
        using var g = new StyleGan2Generator(cfg);
        var sd = g.state_dict();
        // Names as rosinality's stylegan2-pytorch writes them, built here from its layout rules.
        var expected = new List<string>();
        for (int i = 1; i <= cfg.MappingLayers; i++) expected.AddRange([$"style.{i}.weight", $"style.{i}.bias"]);
        expected.Add("input.input");
        string[] styled = ["conv.weight", "conv.modulation.weight", "conv.modulation.bias", "noise.weight", "activate.bias"];
        expected.AddRange(styled.Select(s => "conv1." + s));
        expected.AddRange(["to_rgb1.conv.weight", "to_rgb1.conv.modulation.weight", "to_rgb1.conv.modulation.bias", "to_rgb1.bias"]);
        for (int k = 0; k < 3; k++)
        {
            expected.AddRange(styled.Select(s => $"convs.{2 * k}.{s}"));
            expected.Add($"convs.{2 * k}.conv.blur.kernel");
            expected.AddRange(styled.Select(s => $"convs.{2 * k + 1}.{s}"));
            expected.AddRange([$"to_rgbs.{k}.upsample.kernel", $"to_rgbs.{k}.conv.weight", $"to_rgbs.{k}.conv.modulation.weight",
                $"to_rgbs.{k}.conv.modulation.bias", $"to_rgbs.{k}.bias"]);
        }
        for (int i = 0; i < 7; i++) expected.Add($"noises.noise_{i}");
        expected.Add("latent_avg");
        Assert.Equal(expected.OrderBy(s => s, StringComparer.Ordinal), sd.Keys.OrderBy(s => s, StringComparer.Ordinal));

        Assert.Equal(new long[] { 1, 16, 16, 3, 3 }, sd["conv1.conv.weight"].shape);
        Assert.Equal(new long[] { 1, 8, 16, 3, 3 }, sd["convs.2.conv.weight"].shape);
        Assert.Equal(new long[] { 1, 3, 8, 1, 1 }, sd["to_rgbs.2.conv.weight"].shape);
        Assert.Equal(new long[] { 1, 16, 4, 4 }, sd["input.input"].shape);
        Assert.Equal(new long[] { 1, 1, 32, 32 }, sd["noises.noise_6"].shape);
        Assert.Equal(new long[] { 4, 4 }, sd["convs.0.conv.blur.kernel"].shape);
        Assert.Equal(4.0, sd["convs.0.conv.blur.kernel"].sum().item<float>(), 5);
        Assert.Equal(8, cfg.NumWs);
    }

    [Fact]
    public void NoiseModesTruncationAndMixing()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var cfg = ParityLikeConfig();
        using var g = new StyleGan2Generator(cfg);
        using (no_grad())
        {
            // Make noise matter.
            foreach (var (name, p) in g.named_parameters())
                if (name.EndsWith("noise.weight")) p.fill_(0.5f);
            g.LatentAvg.copy_(randn(cfg.WDim));
        }
        var z = randn(2, cfg.ZDim);
        var z2 = randn(2, cfg.ZDim);
        using var _ = no_grad();

        var a = g.Generate(z);
        var b = g.Generate(z);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, a.shape);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(a, b));
        var r1 = g.Generate(z, noise: NoiseMode.Random);
        var r2 = g.Generate(z, noise: NoiseMode.Random);
        Assert.True(Sg2TestData.MaxAbs(r1, r2) > 1e-3);
        var none = g.Generate(z, noise: NoiseMode.None);
        Assert.True(Sg2TestData.MaxAbs(none, a) > 1e-3);

        // psi = 0: every sample renders the average W.
        var t0 = g.Generate(z, truncationPsi: 0f);
        var avgImg = g.Synthesis(g.LatentAvg.reshape(1, 1, -1).expand(1, cfg.NumWs, -1));
        var d0 = Sg2TestData.MaxAbs(t0[0].unsqueeze(0), avgImg);
        var d1 = Sg2TestData.MaxAbs(t0[1].unsqueeze(0), avgImg);
        var bound = 1e-6 * Math.Max(1.0, avgImg.abs().max().item<float>());
        Assert.True(d0 < bound && d1 < bound, $"psi=0 differs from the average image by {d0}, {d1} (scale {avgImg.abs().max().item<float>()})");

        // Mixing: z drives [0, 3), z2 drives [3, NumWs).
        var w = g.Truncate(g.Mapping(z), 0.7f);
        var w2 = g.Truncate(g.Mapping(z2), 0.7f);
        var wplus = cat([w.unsqueeze(1).expand(-1, 3, -1), w2.unsqueeze(1).expand(-1, cfg.NumWs - 3, -1)], 1);
        var mixed = g.Generate(z, 0.7f, NoiseMode.Const, z2, 3);
        Assert.True(Sg2TestData.MaxAbs(mixed, g.Synthesis(wplus)) < 1e-6);
        Assert.True(Sg2TestData.MaxAbs(mixed, g.Generate(z, 0.7f)) > 1e-4);
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Generate(z, 1f, NoiseMode.Const, z2, cfg.NumWs));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Generate(z, 1f, NoiseMode.Const, z2, 0));
        // A negative index draws one in [1, NumWs): the first W+ entry always comes from z, the last from z2.
        var randomMix = g.MapToWPlus(z, 1f, z2);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(randomMix.select(1, 0), g.Mapping(z)));
        Assert.Equal(0.0, Sg2TestData.MaxAbs(randomMix.select(1, cfg.NumWs - 1), g.Mapping(z2)));
    }

    [Fact]
    public void CloneIsDeepAndEqual()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var g = new StyleGan2Generator(ParityLikeConfig());
        g.ParametersOf("style").First().Parameter.requires_grad = false;
        using var c = g.Clone();
        var z = randn(2, 16);
        using var _ = no_grad();
        Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Generate(z), c.Generate(z)));
        Assert.False(c.ParametersOf("style").First().Parameter.requires_grad);
        foreach (var (_, p) in c.ParametersOf("conv1")) p.add_(1f);
        Assert.True(Sg2TestData.MaxAbs(g.Generate(z), c.Generate(z)) > 1e-3);
    }

    [Fact]
    public void ConversionUpdatesEveryTensorField()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        using var g = new StyleGan2Generator(ParityLikeConfig());
        using (no_grad()) g.LatentAvg.copy_(randn(16));
        var z = randn(2, 16);
        using var noGrad = no_grad();
        var reference = g.Generate(z, 0.7f);
        g.to(ScalarType.Float64);   // buffers held in fields (kernels, latent_avg) must follow
        Assert.Equal(ScalarType.Float64, g.LatentAvg.dtype);
        var converted = g.Generate(z, 0.7f);
        Assert.Equal(ScalarType.Float64, converted.dtype);
        Assert.True(Sg2TestData.MaxAbs(converted, reference) < 1e-4 * Math.Max(1.0, reference.abs().max().item<float>()));
    }

    [Fact]
    public void WIndexToModules()
    {
        using var g = new StyleGan2Generator(ParityLikeConfig()); // NumWs 8, 6 convs, 3 to_rgbs
        Assert.Equal(["conv1"], g.ModulesConsumingW(0));
        Assert.Equal(["to_rgb1", "convs.0"], g.ModulesConsumingW(1));
        Assert.Equal(["convs.1"], g.ModulesConsumingW(2));
        Assert.Equal(["convs.2", "to_rgbs.0"], g.ModulesConsumingW(3));
        Assert.Equal(["to_rgbs.2"], g.ModulesConsumingW(7));
        Assert.Equal("conv1", g.AdaptiveLayerModule(0));
        Assert.Equal("to_rgb1", g.AdaptiveLayerModule(1));
        Assert.Equal("convs.5", g.AdaptiveLayerModule(7));
        Assert.Equal(5, g.ParametersOf("convs.5").Count());
    }

    [Fact]
    public void SeedLatentsMatchNumpyRandomState()
    {
        using var scope = NewDisposeScope();
        // np.random.RandomState(0).randn(5) and RandomState(42).randn(3).
        var z = SeedLatents.FromSeeds([0, 42], 5);
        double[] s0 = [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675];
        double[] s42 = [0.4967141530112327, -0.13826430117118466, 0.6476885381006925];
        for (int i = 0; i < 5; i++) Assert.Equal((float)s0[i], z[0, i].item<float>());
        for (int i = 0; i < 3; i++) Assert.Equal((float)s42[i], z[1, i].item<float>());
        Assert.Equal([0, 1, 2, 3, 7, 9, 10], SeedLatents.Parse("0-3, 7,9-10"));
        Assert.Throws<FormatException>(() => SeedLatents.Parse("5-2"));
        Assert.Throws<FormatException>(() => SeedLatents.Parse("a"));
    }

    [Fact]
    public void ModulatedLayersListEveryModulatedConvWithItsWPlusEntry()
    {
        using var g = new StyleGan2Generator(ParityLikeConfig());
        var layers = g.ModulatedLayers;
        var convNames = g.named_modules().Where(m => m.module is ModulatedConv2d).Select(m => m.name).Order().ToList();
        Assert.Equal(convNames, layers.Select(l => l.Name).Order().ToList());
        Assert.Equal(g.Config.NumWs, layers.Select(l => l.WPlusEntry).Distinct().Count());
        Assert.Equal(new ModulatedLayerInfo("conv1.conv", 16, false, 0), layers[0]);
        Assert.Equal(new ModulatedLayerInfo("to_rgbs.2.conv", 8, true, 7), layers[^1]);
        Assert.Equal(4, layers.Count(l => l.IsToRgb));
    }

    [Fact]
    public void ZeroStyleOffsetsReproduceTheBaseBitForBit()
    {
        using var scope = NewDisposeScope();
        using var g = new StyleGan2Generator(ParityLikeConfig());
        var z = randn(3, 16, generator: new Generator(5));
        var baseImages = g.Generate(z, 0.7f);
        g.SetStyleOffsets(g.ModulatedLayers.ToDictionary(l => l.Name, l => zeros(l.InChannels)));
        Assert.True(g.Generate(z, 0.7f).eq(baseImages).all().item<bool>());
        g.SetStyleOffsets(null);
        Assert.True(g.Generate(z, 0.7f).eq(baseImages).all().item<bool>());
    }

    [Fact]
    public void StyleOffsetsEqualScalingTheWeightsInputChannels()
    {
        using var scope = NewDisposeScope();
        using var g = new StyleGan2Generator(ParityLikeConfig());
        using var scaled = g.Clone();
        var d = randn(16, generator: new Generator(9)) * 0.3;                                         // [I]
        using (no_grad())
            scaled.state_dict()["convs.1.conv.weight"].mul_((1 + d).reshape(1, 1, 16, 1, 1));       // [1, O, I, k, k]
        g.SetStyleOffsets(new Dictionary<string, Tensor> { ["convs.1.conv"] = d });
        var z = randn(2, 16, generator: new Generator(6));
        var a = g.Generate(z);
        var b = scaled.Generate(z);
        Assert.True((a - b).abs().max().item<float>() < 1e-5f);
        g.SetStyleOffsets(null);
        Assert.True((a - g.Generate(z)).abs().max().item<float>() > 1e-4f);
        Assert.Throws<ArgumentException>(() => g.SetStyleOffsets(new Dictionary<string, Tensor> { ["convs.1.conv"] = zeros(5) }));
        Assert.Throws<ArgumentException>(() => g.SetStyleOffsets(new Dictionary<string, Tensor> { ["nope"] = zeros(16) }));
    }
}
