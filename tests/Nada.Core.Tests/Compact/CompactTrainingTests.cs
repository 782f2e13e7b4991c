using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Checkpoints;
using Nada.Core.Generators;
using Nada.Core.Runs;
using Nada.Core.Tests.Checkpoints;
using Nada.Core.Tests.Infrastructure;
using static Nada.Core.Tests.Compact.CompactTestData;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Compact;

/// <summary>Compact runs on the tiny parity networks: they train, resume bit-identically, stop on NaN, and run on StyleGAN3.</summary>
public sealed class CompactTrainingTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();

    [Fact]
    public void ACompactRunLowersTheDirectionalLossOnAFixedBatch()
    {
        var first = DomainAdapter.Run(Request(_scratch.File("one"), 1), RunContext.For(new ListProgress()));
        var progress = new ListProgress();
        var run = DomainAdapter.Run(Request(_scratch.File("forty"), 40), RunContext.For(progress));
        Assert.Equal(DomainKind.Compact, run.Kind);
        Assert.Equal(Enumerable.Range(1, 40), progress.Steps);
        float after1 = DirectionalLoss(first.GeneratorFile);
        float after40 = DirectionalLoss(run.GeneratorFile);
        Assert.True(after40 < after1, $"directional loss on a fixed batch: {after1:F4} after 1 step, {after40:F4} after 40");

        var domain = Path.Combine(_scratch.File("forty"), "domain");
        foreach (var f in new[] { "01-sketch.safetensors", "01-sketch.png", "preview.png", "domain.json" })
            Assert.True(File.Exists(Path.Combine(domain, f)), $"domain/{f} missing");
        Assert.Equal(Path.Combine(domain, "01-sketch.safetensors"), run.GeneratorFile);
        using var d = CompactDomainFile.Load(run.GeneratorFile);
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        Assert.True(d.Info.BaseGenerator.SameGeneratorAs(GeneratorIdentity.Of(g, "x")));
        // HyperDomainNet's default: every convolution has offsets, to_rgb none.
        Assert.Equal(g.ModulatedLayers.Where(l => !l.IsToRgb).Select(l => l.Name).Order(), d.Offsets.Keys.Order());
        Assert.Contains("directional", d.Info.FinalLosses.Keys);
        Assert.Equal("clip_openai_tiny_vit.pt", Assert.Single(d.Info.Clips).File);
        Assert.True(File.Exists(Path.Combine(_scratch.File("forty"), "run.json")));
    }

    [Fact]
    public void OnlyTheOffsetsTrainAndHoldAdamState()
    {
        using var scope = NewDisposeScope();
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        var before = g.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var ensemble = new ClipEnsemble([(ClipLoader.Load(ClipFile), 1f)]);
        using var set = new ClipLossSet(ensemble, new ClipLossWeights(1f, InDomainAngle: 1f), "photo", "sketch");
        var view = new ClipEnsemble(ensemble.Members.Select(m => (m.Model, m.Weight)), ownsModels: false);
        using var loss = new ClipAdaptationLoss(view, set, "sketch");
        var options = AdaptationOptions.HyperDomainNetPreset with { TrainNoise = NoiseMode.Const, LambdaAngle = 1f };
        using var trainer = new CompactTrainer(g, [("sketch", loss)], options);
        for (int step = 0; step < 2; step++)
        {
            using var draws = RunRandom.ForStep(options, step, g.Config, CPU, trainer.SelectsLayers);
            var r = trainer.Step(draws.Z, draws.MixZ, draws.MixIndex, draws.SelectionZ, draws.Noise);
            Assert.Contains("angle", r.Parts.Keys);
        }
        Assert.All(g.parameters(), p => Assert.Null(p.grad));
        foreach (var (name, t) in g.state_dict()) Assert.True(SameBits(t, before[name]), $"the generator's '{name}' changed");
        var (moments, steps) = trainer.Optimizer.ExportState();
        Assert.Equal(trainer.AllOffsets().Keys.Order(), steps.Keys.Order());
        Assert.All(steps.Keys, k => Assert.StartsWith("t0/", k));
        Assert.Equal(2 * trainer.AllOffsets().Count, moments.Count);
        Assert.Contains(trainer.AllOffsets().Values, d => d.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void CancelThenResumeOfATwoTargetRunIsBitIdentical()
    {
        var options = AdaptationOptions.HyperDomainNetPreset with
        {
            BatchSize = 2, AutoLayerK = 3, AutoLayerIters = 1, AutoLayerBatch = 2, Mixing = 0.5, TrainNoise = NoiseMode.Random,
            CheckpointEvery = 100, SampleEvery = 100, LambdaAngle = 0.5f,
        };
        string[] targets = ["sketch", "pixar character"];
        var whole = DomainAdapter.Run(Request(_scratch.File("whole"), 6, options, targets), RunContext.For(new ListProgress()));
        Assert.Equal(2, whole.CompactDomains!.Count);

        using var cts = new CancellationTokenSource();
        var cancelling = new ListProgress(onReport: p => { if (p.Step == 3) cts.Cancel(); });
        string split = _scratch.File("split");
        Assert.ThrowsAny<OperationCanceledException>(() => DomainAdapter.Run(Request(split, 6, options, targets), RunContext.For(cancelling, cts.Token)));
        Assert.Equal(3, cancelling.Steps.Max());
        Assert.True(RunCheckpoint.Exists(split));
        var resumed = new ListProgress();
        var second = DomainAdapter.Run(Request(split, 6, options, targets), RunContext.For(resumed), resume: true);
        Assert.Equal([4, 5, 6], resumed.Steps);
        Assert.Contains("directional@pixar character", resumed.Reports[0].Values.Keys);
        Assert.NotNull(resumed.Reports[0].ChosenLayers);

        for (int t = 0; t < 2; t++)
        {
            using var a = CompactDomainFile.Load(whole.CompactDomains[t].File);
            using var b = CompactDomainFile.Load(second.CompactDomains![t].File);
            Assert.Equal(targets[t], a.Info.TargetText);
            foreach (var (name, d) in a.Offsets)
                Assert.True(SameBits(d, b.Offsets[name]), $"'{name}' of '{targets[t]}' differs between the uninterrupted and the resumed run");
            Assert.Contains(a.Offsets.Values, d => d.abs().sum().item<float>() > 0);
        }
        // The two targets trained apart.
        using var s = CompactDomainFile.Load(whole.CompactDomains[0].File);
        using var p = CompactDomainFile.Load(whole.CompactDomains[1].File);
        Assert.Contains(s.Offsets, kv => !SameBits(kv.Value, p.Offsets[kv.Key]));
    }

    [Fact]
    public void ACompactRunWorksOnStyleGan3()
    {
        var request = Request(_scratch.File("sg3"), 2) with { GeneratorPath = Sg3File };
        var result = DomainAdapter.Run(request, RunContext.For(new ListProgress()));
        using var d = CompactDomainFile.Load(result.GeneratorFile);
        Assert.Equal("StyleGan3", d.Info.Family);
        Assert.All(d.Offsets.Keys, k => Assert.StartsWith("synthesis.L", k));
        Assert.Contains(d.Offsets.Values, t => t.abs().sum().item<float>() > 0);
        using var g = GeneratorLoader.LoadGenerator(Sg3File);
        Assert.Equal(g.ModulatedLayers.Count(l => !l.IsToRgb), d.Offsets.Count);
        // and it renders with its base
        using var scope = NewDisposeScope();
        var id = GeneratorIdentity.Of(g, "sg3t.pkl");
        var w = FixedWPlus(g);
        var baseImages = Render(g, w);
        using (DomainMix.Apply(g, id, [(d, 1f)]))
            Assert.False(SameBits(Render(g, w), baseImages));
    }

    [Fact]
    public void DivergenceStopsACompactRunAndKeepsTheLastGoodCheckpoint()
    {
        string run = _scratch.File("nan");
        var options = AdaptationOptions.HyperDomainNetPreset with { TrainNoise = NoiseMode.Const, CheckpointEvery = 1 };
        var request = Request(run, 2, options);
        DomainAdapter.Run(request, RunContext.For(new ListProgress()));
        Directory.Delete(Path.Combine(run, "domain"), recursive: true);
        string broken;
        using (var g = GeneratorLoader.LoadGenerator(BaseFile))
        {
            using (no_grad()) g.state_dict()["style.1.weight"].fill_(float.NaN);
            broken = GeneratorLoader.Save(g, _scratch.File("nan-generator"));
        }
        var e = Assert.Throws<AdaptationFailedException>(() =>
            DomainAdapter.Run(request with { GeneratorPath = broken, Iterations = 5 }, RunContext.For(new ListProgress()), resume: true));
        Assert.Contains("at step 3", e.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "domain")));
        using var ck = RunCheckpoint.LoadLatest(run)!;
        Assert.Equal(2, ck.State.Step);
        Assert.All(ck.Weights.Values, t => Assert.True(isfinite(t).all().item<bool>()));
    }

    [Fact]
    public void EveryLossOfFullTrainingWorksInACompactRun()
    {
        // Style images: a few samples of the base generator, as the full image-guided test makes them.
        string styles = _scratch.File("styles");
        Directory.CreateDirectory(styles);
        using (var g = GeneratorLoader.LoadGenerator(BaseFile))
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var images = g.Generate(SeedLatents.FromSeeds([5, 6, 7], g.Config.ZDim), 0.5f);
            var pngs = Imaging.ImageEncoder.ToPngs(images);
            for (int i = 0; i < pngs.Count; i++) File.WriteAllBytes(Path.Combine(styles, $"s{i}.png"), pngs[i]);
        }
        // Random noise, as real runs train: with constant noise the first step's images are identical and the patch
        // loss's edit direction is 0/0 (NaN), in full runs as well.
        var options = AdaptationOptions.HyperDomainNetPreset with
        {
            TrainNoise = NoiseMode.Random, BatchSize = 2, LambdaGlobal = 0.5f, LambdaPatch = 0.5f, LambdaManifold = 0.5f,
            LambdaTexture = 0.5f, LambdaAngle = 0.5f, SampleEvery = 1000, CheckpointEvery = 1000,
        };
        var request = Request(_scratch.File("all"), 2, options) with { StyleImagePaths = Directory.GetFiles(styles).Order().ToList() };
        var progress = new ListProgress();
        var result = DomainAdapter.Run(request, RunContext.For(progress));
        foreach (var name in new[] { "directional", "global", "patch", "manifold", "texture", "angle", "total" })
            Assert.True(progress.Reports[^1].Values.ContainsKey(name), $"no '{name}' loss in a compact run");
        using var d = CompactDomainFile.Load(result.GeneratorFile);
        Assert.Equal(3, d.Info.StyleImages.Count);
        Assert.Contains(d.Offsets.Values, t => t.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void TheAngleLossTrainsInFullRunsToo()
    {
        var request = new AdaptationRequest
        {
            GeneratorPath = BaseFile, ClipModels = [new ClipModelChoice(ClipFile)], SourceText = "photo", TargetText = "sketch",
            Iterations = 2, OutputDirectory = _scratch.File("full"),
            Options = new AdaptationOptions { TrainNoise = NoiseMode.Const, LambdaAngle = 2f, BatchSize = 3 },
        };
        var progress = new ListProgress();
        var result = DomainAdapter.Run(request, RunContext.For(progress));
        Assert.Equal(DomainKind.Full, result.Kind);
        Assert.Null(result.CompactDomains);
        Assert.All(progress.Reports, r => Assert.True(r.Values.ContainsKey("angle")));
        Assert.True(progress.Reports[1].Values["angle"] > 0, "after a step the adapted angles differ from the base's");
    }

    [Theory]
    [InlineData("only as compact domains", DomainKind.Full, "sketch", "pixar character")]
    [InlineData("given twice", DomainKind.Compact, "sketch", "Sketch")]
    [InlineData("same to CLIP", DomainKind.Compact, "sketch", "photo")]
    public void BadTargetsAreRefusedBeforeAnythingLoads(string expected, DomainKind kind, params string[] targets)
    {
        var request = Request(_scratch.File("bad"), 2, null, targets) with { Kind = kind };
        var e = Assert.Throws<RequestValidationException>(() => RequestValidator.Validate(request));
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Targets", e.Errors.Keys);
    }

    public void Dispose() => _scratch.Dispose();
}
