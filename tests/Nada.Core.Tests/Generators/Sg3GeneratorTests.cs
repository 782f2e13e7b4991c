using Nada.Core.Adaptation;
using Nada.Core.Checkpoints;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// StyleGAN3 generator behaviour beyond parity: designed filters against NVIDIA's stored ones, compact-domain style
/// offsets, the input transform (whole-pixel translations shift the image, zero is the default exactly), the W+ to
/// layer mapping, clones, bad inputs, and the dispose-scope rule in synthesis.
/// </summary>
public class Sg3GeneratorTests(ITestOutputHelper log)
{
    public static TheoryData<string> Pickles => new() { "sg3t", "sg3r" };

    private static StyleGan3Generator LoadPickle(string name) =>
        Assert.IsType<StyleGan3Generator>(GeneratorLoader.LoadGenerator(Sg2TestData.File("nvlabs", name + ".pkl")));

    private static Tensor ExpectedZ(string name) =>
        Sg2TestData.ReadSafeTensors(Sg2TestData.File("nvlabs", name + "_expected.safetensors")).Tensors["z"];

    [Theory]
    [MemberData(nameof(Pickles))]
    public void DesignedFiltersEqualTheStoredOnes(string name)
    {
        using var scope = NewDisposeScope();
        using var loaded = LoadPickle(name);
        using var fresh = new StyleGan3Generator(loaded.Architecture);
        var stored = loaded.state_dict();
        var designed = fresh.state_dict().Where(kv => kv.Key.EndsWith("_filter", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(designed);
        Assert.Equal(stored.Keys.Count(k => k.EndsWith("_filter", StringComparison.Ordinal)), designed.Count);
        if (loaded.Architecture.UseRadialFilters) Assert.Contains(designed, kv => kv.Value.dim() == 2);   // jinc filters in R
        double worst = 0;
        foreach (var (key, f) in designed) worst = Math.Max(worst, Sg2TestData.MaxAbs(f, stored[key]));
        log.WriteLine($"{name}: {designed.Count} filters, max abs difference to NVIDIA's {worst:E2}");
        Assert.True(worst < 1e-6, $"designed filters differ from the pickle's by {worst}");
    }

    [Theory]
    [MemberData(nameof(Pickles))]
    public void ZeroStyleOffsetsReproduceTheBaseExactlyAndOthersChangeIt(string name)
    {
        using var scope = NewDisposeScope();
        using var g = LoadPickle(name);
        var wPlus = g.MapToWPlus(ExpectedZ(name), 0.7f);
        Tensor baseImg;
        using (no_grad()) baseImg = g.Synthesis(wPlus);
        var zerosByLayer = g.ModulatedLayers.ToDictionary(l => l.Name, l => zeros(l.InChannels));
        Assert.Equal(g.Config.NumWs - 1, zerosByLayer.Count);           // every layer but the input is modulated
        g.SetStyleOffsets(zerosByLayer);
        using (no_grad()) Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Synthesis(wPlus), baseImg));

        // Non-zero offsets change the image and train: gradients reach them.
        var d = (randn(g.ModulatedLayers[3].InChannels) * 0.3f).requires_grad_(true);
        g.SetStyleOffsets(new Dictionary<string, Tensor> { [g.ModulatedLayers[3].Name] = d });
        var img = g.Synthesis(wPlus);
        Assert.True(Sg2TestData.MaxAbs(img.detach(), baseImg) > 1e-3);
        img.square().mean().backward();
        Assert.True(d.grad!.abs().sum().item<float>() > 0);

        g.SetStyleOffsets(null);
        using (no_grad()) Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Synthesis(wPlus), baseImg));
        Assert.Throws<ArgumentException>(() => g.SetStyleOffsets(new Dictionary<string, Tensor> { ["synthesis.input"] = zeros(4) }));
        Assert.Throws<ArgumentException>(() => g.SetStyleOffsets(new Dictionary<string, Tensor> { [g.ModulatedLayers[0].Name] = zeros(1) }));
    }

    [Theory]
    [MemberData(nameof(Pickles))]
    public void WholePixelTranslationShiftsTheImageAndZeroIsTheDefault(string name)
    {
        using var scope = NewDisposeScope();
        using var g = LoadPickle(name);
        using var noGrad = no_grad();
        var wPlus = g.MapToWPlus(ExpectedZ(name), 0.7f);
        var img = g.Synthesis(wPlus);                                   // [N, 3, R, R]
        int res = g.Config.ImgResolution, border = Math.Max(2, res / 8);
        foreach (var (dx, dy) in new[] { (3, 0), (-2, 0), (0, 3), (2, -1) })
        {
            g.SetInputTransform(InputTransform.Pixels(dx, dy, res));
            var moved = g.Synthesis(wPlus);
            // Content moves right/down by (dx, dy): moved[y, x] = img[y - dy, x - dx] away from the borders.
            int x0 = border + Math.Max(dx, 0), x1 = res - border + Math.Min(dx, 0);
            int y0 = border + Math.Max(dy, 0), y1 = res - border + Math.Min(dy, 0);
            var inside = moved[.., .., y0..y1, x0..x1];
            double shifted = (inside - img[.., .., (y0 - dy)..(y1 - dy), (x0 - dx)..(x1 - dx)]).abs().mean().item<float>();
            double unshifted = (inside - img[.., .., y0..y1, x0..x1]).abs().mean().item<float>();
            log.WriteLine($"{name} ({dx}, {dy}) px: mean abs difference to the shifted image {shifted:E2}, to the unshifted one {unshifted:E2}");
            // StyleGAN3 is translation-equivariant up to its filters' stopband leakage: measured about 1/150 of the
            // unshifted difference on the parity networks; a wrong direction or scale gives about the unshifted one.
            Assert.True(shifted < unshifted / 20, $"({dx}, {dy}): shifted {shifted:E2} vs unshifted {unshifted:E2}");
        }
        g.SetInputTransform(new InputTransform(0, 0, 0));
        Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Synthesis(wPlus), img));
        g.SetInputTransform(new InputTransform(0.1, -0.05, 30));
        Assert.True(Sg2TestData.MaxAbs(g.Synthesis(wPlus), img) > 1e-2);
        g.SetInputTransform(InputTransform.Identity);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Synthesis(wPlus), img));
    }

    [Fact]
    public void WPlusEntriesMapToTheLayersThatReadThem()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var cfg = StyleGan3Config.Tiny(16, numLayers: 4);
        using var g = new StyleGan3Generator(cfg);
        var names = g.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(cfg.NumLayers + 2, cfg.NumWs);
        Assert.Equal(["synthesis.input."], g.TrainableLayersForWPlusEntry(0, WPlusLayerMapping.FollowsGenerator));
        for (int i = 1; i < cfg.NumWs - 1; i++)
        {
            var layer = Assert.Single(g.TrainableLayersForWPlusEntry(i, WPlusLayerMapping.FollowsGenerator));
            Assert.Equal($"synthesis.{g.SynthesisLayers[i - 1].Spec.Name}.", layer);
            Assert.Equal(layer, Assert.Single(g.TrainableLayersForWPlusEntry(i, WPlusLayerMapping.Reference)));
            Assert.Contains(names, n => n.StartsWith(layer, StringComparison.Ordinal));
        }
        Assert.Empty(g.TrainableLayersForWPlusEntry(cfg.NumWs - 1, WPlusLayerMapping.FollowsGenerator));   // ToRGB stays frozen
        Assert.Throws<ArgumentOutOfRangeException>(() => g.TrainableLayersForWPlusEntry(cfg.NumWs, WPlusLayerMapping.FollowsGenerator));
        Assert.Equal(Enumerable.Range(1, cfg.NumWs - 1), g.ModulatedLayers.Select(l => l.WPlusEntry));
        Assert.True(g.ModulatedLayers[^1].IsToRgb);

        // Entry i really feeds that layer: changing it alone changes exactly the layers from there on.
        using var noGrad = no_grad();
        // NVIDIA initialises the input's affine to zero weights (w has no effect until trained); give it some.
        g.named_parameters().Single(p => p.name == "synthesis.input.affine.weight").parameter.copy_(randn(4, cfg.WDim));
        var wPlus = g.MapToWPlus(randn(2, cfg.ZDim));
        var img = g.Synthesis(wPlus);
        foreach (int i in new[] { 0, 2, cfg.NumWs - 1 })
        {
            var w2 = wPlus.clone();
            w2[.., i] = w2[.., i] + randn(2, cfg.WDim);
            Assert.True(Sg2TestData.MaxAbs(g.Synthesis(w2), img) > 1e-4, $"entry {i} changes nothing");
        }

        // Phase presets name existing layers; Default trains every layer but ToRGB and not the mapping.
        foreach (var phase in Enum.GetValues<TrainablePhase>())
            foreach (var prefix in g.TrainableLayersForPhase(phase))
                Assert.Contains(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
        var def = g.TrainableLayersForPhase(TrainablePhase.Default);
        Assert.DoesNotContain(names.Where(n => TrainableLayers.Matches(n, def)), n => n.StartsWith("mapping.", StringComparison.Ordinal)
            || n.StartsWith($"synthesis.{g.SynthesisLayers[^1].Spec.Name}.", StringComparison.Ordinal));
        Assert.Equal(cfg.NumLayers + 1, def.Count);
    }

    [Fact]
    public void CloneRendersTheSameAndOwnsItsTensors()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var g = new StyleGan3Generator(StyleGan3Config.Tiny(16, radial: true));
        using (no_grad()) g.LatentAvg.copy_(randn(g.Config.WDim));
        g.SetInputTransform(new InputTransform(0.1, 0, 10));
        using var copy = g.Clone();
        using var noGrad = no_grad();
        var z = randn(2, g.Config.ZDim);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(copy.Generate(z, 0.7f), g.Generate(z, 0.7f)));
        g.SetInputTransform(InputTransform.Identity);
        Assert.True(Sg2TestData.MaxAbs(copy.Generate(z), g.Generate(z)) > 1e-4);   // the copy has its own transform
    }

    [Fact]
    public void BadInputsAreRefusedWithTheExpectedShape()
    {
        using var scope = NewDisposeScope();
        var cfg = StyleGan3Config.Tiny(16);
        using var g = new StyleGan3Generator(cfg);
        var e = Assert.Throws<ArgumentException>(() => g.Synthesis(zeros(1, cfg.NumWs - 1, cfg.WDim)));
        Assert.Contains($"[N, {cfg.NumWs}, {cfg.WDim}]", e.Message);
        Assert.Contains($"[N, {cfg.ZDim}]", Assert.Throws<ArgumentException>(() => g.Mapping(zeros(1, cfg.ZDim + 1))).Message);
        var layer = g.SynthesisLayers[1];
        Assert.Contains(layer.Spec.Name, Assert.Throws<ArgumentException>(() => layer.forward(zeros(1, 1, 4, 4), zeros(1, cfg.WDim))).Message);
        Assert.Throws<InvalidDataException>(() => (cfg with { NumCritical = cfg.NumLayers }).Validate());
        Assert.Throws<InvalidDataException>(() => (cfg with { ChannelBase = 0 }).Validate());
        Assert.Throws<InvalidDataException>(() => StyleGan3Config.FromJson("null"));
    }

    [Fact]
    public void ConfigJsonRoundTripsAndDerivesNvidiaLayerNames()
    {
        var t = StyleGan3Config.T(1024);
        Assert.Equal(16, t.NumWs);
        // NVIDIA's layer names at 1024 px (sizes with margins, channels by cutoff): config T ...
        Assert.Equal(["L0_36_512", "L1_36_512", "L2_52_512", "L3_52_512", "L4_84_512", "L5_148_512", "L6_148_512",
            "L7_276_323", "L8_276_203", "L9_532_128", "L10_1044_81", "L11_1044_51", "L12_1044_32", "L13_1024_32", "L14_1024_3"],
            t.Layers.Select(l => l.Name));
        // ... and config R (doubled channel base and maximum), as in stylegan3-r-ffhq-1024x1024.pkl.
        Assert.Equal(["L0_36_1024", "L1_36_1024", "L2_52_1024", "L3_52_1024", "L4_84_1024", "L5_148_1024", "L6_148_1024",
            "L7_276_645", "L8_276_406", "L9_532_256", "L10_1044_161", "L11_1044_102", "L12_1044_64", "L13_1024_64", "L14_1024_3"],
            StyleGan3Config.R(1024).Layers.Select(l => l.Name));
        Assert.Equal(t, StyleGan3Config.FromJson(t.ToJson()));
        var r = StyleGan3Config.R(512);
        Assert.Equal(r, StyleGan3Config.FromJson(r.ToJson()));
        Assert.All(r.Layers.Where(l => !l.IsToRgb), l => Assert.Equal(1, l.ConvKernel));
        Assert.Equal(r.Layers.Count(l => !l.IsCriticallySampled), r.Layers.Count(l => l.DownRadial));
    }

    [Fact]
    public void SynthesisFreesEachBlocksIntermediates()
    {
        // The dispose-scope rule: every block runs in its own scope and only its output leaves it, so after synthesis
        // the caller's scope holds a few tensors, not every layer's intermediates (tens per layer).
        using var g = new StyleGan3Generator(StyleGan3Config.Tiny(16, numLayers: 6));
        using var outer = NewDisposeScope();
        var wPlus = g.MapToWPlus(randn(2, g.Config.ZDim));
        foreach (bool grad in new[] { false, true })
        {
            using var gradMode = grad ? enable_grad() : no_grad();
            DisposeScopeManager.Statistics.Reset();
            using (var scope = NewDisposeScope())
            {
                var img = g.Synthesis(wPlus);
                long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                log.WriteLine($"grad {grad}: {live} tensors live after synthesis, {DisposeScopeManager.Statistics.CreatedInScopeCount} made");
                Assert.True(DisposeScopeManager.Statistics.CreatedInScopeCount > 100);
                Assert.True(live <= 4, $"{live} tensors stay alive after synthesis");
                if (grad) img.mean().backward();
            }
            Assert.Equal(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }
}
