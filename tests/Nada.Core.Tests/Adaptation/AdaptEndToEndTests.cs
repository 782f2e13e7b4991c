using Nada.Core.Runs;
using System.Globalization;
using Nada.Cli;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Adaptation;

/// <summary>`nada adapt` and <see cref="DomainAdapter"/> end to end on the tiny parity networks, on the CPU.</summary>
public sealed class AdaptEndToEndTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();
    private static string Generator => CheckpointTestFiles.Parity("stylegan2_rosinality.pt");
    private static string Clip => CheckpointTestFiles.Parity("clip_openai_tiny_vit.pt");

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static List<double> TotalLosses(string output) =>
        output.Split('\n').Where(l => l.StartsWith("step ", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ')[3], CultureInfo.InvariantCulture)).ToList();

    /// <summary>Directional loss photo -> sketch of a domain against the base generator on a fixed batch.</summary>
    private static float EvalDirectionalLoss(string domainGenerator)
    {
        using var scope = NewDisposeScope();
        using var baseGen = GeneratorLoader.LoadGenerator(Generator);
        using var adapted = GeneratorLoader.LoadGenerator(domainGenerator);
        using var ensemble = new ClipEnsemble([(ClipLoader.Load(Clip), 1f)]);
        using var losses = new ClipLossSet(ensemble, new ClipLossWeights(Directional: 1f), "photo", "sketch");
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds(Enumerable.Range(100, 16).ToList(), baseGen.Config.ZDim);
        var w = baseGen.MapToWPlus(z);
        return losses.Forward(baseGen.Synthesis(w), adapted.Synthesis(w)).Total.item<float>();
    }

    [Fact]
    public void AdaptRunsEndToEndAndTheDirectionalLossFalls()
    {
        string[] Args(string run, int iters) => ["adapt", "--generator", Generator, "--clip", Clip, "--source", "photo", "--target", "sketch",
            "--iters", iters.ToString(CultureInfo.InvariantCulture), "--out", run, "--sample-every", "20", "--checkpoint-every", "20", "--noise", "const"];
        string run = _scratch.File("run");
        var (code, output, err) = Cli(Args(run, 40));
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Equal(40, TotalLosses(output).Count);
        // The same run stopped after one step (every draw derives from seed and step, so step 1 is identical).
        string first = _scratch.File("first");
        var (code1, _, err1) = Cli(Args(first, 1));
        Assert.True(code1 == 0, err1);
        // Step 1 follows the reference's finite-difference special case (identical images), whose large gradient
        // also slows Adam for the next steps on these random tiny networks; from there the loss on a fixed,
        // deterministic batch of 16 latents must fall.
        float after1 = EvalDirectionalLoss(Path.Combine(first, "domain", "generator.safetensors"));
        float after40 = EvalDirectionalLoss(Path.Combine(run, "domain", "generator.safetensors"));
        Assert.True(after40 < after1, $"directional loss on a fixed batch: {after1:F4} after 1 step, {after40:F4} after 40");

        Assert.True(File.Exists(Path.Combine(run, "run.json")));
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "latest.json")));
        Assert.True(File.Exists(Path.Combine(run, "samples", "step-000020.png")));
        Assert.True(File.Exists(Path.Combine(run, "samples", "step-000040.png")));
        string domain = Path.Combine(run, "domain");
        foreach (var f in new[] { "generator.safetensors", "generator.json", "domain.json", "preview.png" })
            Assert.True(File.Exists(Path.Combine(domain, f)), $"domain/{f} missing");

        // The adapted generator is readable by `nada sample`.
        string samples = _scratch.File("samples");
        var (sc, _, se) = Cli("sample", "--generator", Path.Combine(domain, "generator.safetensors"), "--seeds", "0-1", "--out", samples);
        Assert.True(sc == 0, se);
        Assert.True(File.Exists(Path.Combine(samples, "seed0001.png")));
    }

    [Fact]
    public void CancelThenResumeGivesTheSameWeightsAsAnUninterruptedRun()
    {
        var options = new AdaptationOptions
        {
            AutoLayerK = 3, AutoLayerIters = 1, AutoLayerBatch = 2, Mixing = 0.5, TrainNoise = NoiseMode.Random,
            CheckpointEvery = 100, SampleEvery = 100, LearningRate = 0.01,
        };
        AdaptationRequest Request(string dir) => new()
        {
            GeneratorPath = Generator, ClipModels = [new ClipModelChoice(Clip)], SourceText = "photo", TargetText = "sketch",
            Iterations = 6, OutputDirectory = dir, Options = options,
        };
        var whole = DomainAdapter.Run(Request(_scratch.File("whole")), RunContext.For(new Recorder(), CancellationToken.None));

        using var cts = new CancellationTokenSource();
        var cancelling = new Recorder { OnReport = p => { if (p.Step == 3) cts.Cancel(); } };
        string split = _scratch.File("split");
        Assert.ThrowsAny<OperationCanceledException>(() => DomainAdapter.Run(Request(split), RunContext.For(cancelling, cts.Token)));
        Assert.Equal(3, cancelling.Steps.Max());
        Assert.True(RunCheckpoint.Exists(split));
        var resumed = new Recorder();
        var second = DomainAdapter.Run(Request(split), RunContext.For(resumed, CancellationToken.None), resume: true);
        Assert.Equal([4, 5, 6], resumed.Steps);

        var (a, _) = SafeTensorsFile.Load(whole.GeneratorFile);
        var (b, _) = SafeTensorsFile.Load(second.GeneratorFile);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, t) in a)
            Assert.True(t.equal(b[name]).all().item<bool>(), $"'{name}' differs between the uninterrupted and the resumed run");
        // and the run did train: the result differs from the base generator.
        using var baseGen = GeneratorLoader.LoadGenerator(Generator);
        Assert.Contains(baseGen.state_dict(), kv => !kv.Value.equal(a[kv.Key]).all().item<bool>());
    }

    [Fact]
    public void ImageGuidedModeAdaptsTowardAFolderOfImages()
    {
        string styles = _scratch.File("styles");
        var (sc, _, se) = Cli("sample", "--generator", Generator, "--seeds", "5-7", "--out", styles, "--truncation", "0.5");
        Assert.True(sc == 0, se);
        File.WriteAllText(Path.Combine(styles, "notes.txt"), "not an image");
        File.WriteAllBytes(Path.Combine(styles, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        string run = _scratch.File("guided");
        var (code, output, err) = Cli("adapt", "--generator", Generator, "--clip", Clip, "--source", "photo", "--target", "",
            "--style-images", styles, "--iters", "3", "--out", run, "--noise", "const");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("notes.txt", err);
        Assert.Contains("broken.png", err);
        Assert.Equal(3, TotalLosses(output).Count);
        Assert.True(File.Exists(Path.Combine(run, "domain", "generator.safetensors")));
    }

    [Theory]
    [InlineData("are the same", "--source", "photo", "--target", "Photo")]
    [InlineData("target text is empty", "--target", "")]
    [InlineData("77", "--target", "a very long prompt that goes on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on")]
    [InlineData("larger than this generator", "--target", "sketch", "--auto-layer-k", "99")]
    [InlineData("zero", "--target", "sketch", "--lambda-direction", "0")]
    public void BadInputGivesOneClearLine(string expected, params string[] extra)
    {
        var args = new List<string> { "adapt", "--generator", Generator, "--clip", Clip, "--iters", "2", "--out", _scratch.File("bad") };
        args.AddRange(extra);
        var (code, _, err) = Cli([.. args]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(expected, err, StringComparison.OrdinalIgnoreCase);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void LongPromptIsShortenedWithAWarningWhenAsked()
    {
        string longText = string.Join(' ', Enumerable.Repeat("sketch", 90));
        var (code, output, err) = Cli("adapt", "--generator", Generator, "--clip", Clip, "--target", longText, "--iters", "1",
            "--out", _scratch.File("long"), "--truncate-prompts");
        Assert.True(code == 0, err);
        Assert.Contains("warning: target text truncated", err);
        Assert.Single(TotalLosses(output));
        var (fitted, cut) = PromptFitter.Fit(longText);
        Assert.True(cut);
        Assert.True(Nada.Core.Clip.ClipTokenizer.Shared.TokenCount("a photo of the hard to see " + fitted + ".") <= 77);
    }

    [Fact]
    public void EmptyStyleFolderIsAnError()
    {
        string empty = _scratch.File("empty");
        Directory.CreateDirectory(empty);
        var (code, _, err) = Cli("adapt", "--generator", Generator, "--clip", Clip, "--target", "", "--style-images", empty, "--out", _scratch.File("x"));
        Assert.Equal(1, code);
        Assert.Contains("holds no image files", err);
    }

    [Fact]
    public void DivergenceStopsTheRunAndKeepsTheLastGoodCheckpoint()
    {
        string run = _scratch.File("nan");
        var request = new AdaptationRequest
        {
            GeneratorPath = Generator, ClipModels = [new ClipModelChoice(Clip)], SourceText = "photo", TargetText = "sketch",
            Iterations = 2, OutputDirectory = run,
            Options = new AdaptationOptions { CheckpointEvery = 1, TrainNoise = NoiseMode.Const },
        };
        DomainAdapter.Run(request, RunContext.For(new Recorder(), CancellationToken.None));
        Directory.Delete(Path.Combine(run, "domain"), recursive: true);

        // The run goes on with a base whose mapping network makes NaN: step 3's loss is NaN.
        string broken;
        using (var g = GeneratorLoader.LoadGenerator(Generator))
        {
            using (no_grad()) g.state_dict()["style.1.weight"].fill_(float.NaN);
            broken = GeneratorLoader.Save(g, _scratch.File("nan-generator"));
        }
        var e = Assert.Throws<AdaptationFailedException>(() =>
            DomainAdapter.Run(request with { GeneratorPath = broken, Iterations = 5 }, RunContext.For(new Recorder(), CancellationToken.None), resume: true));
        Assert.Contains("at step 3", e.Message);
        Assert.Contains("last good checkpoint", e.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "domain")));
        // The last good checkpoint is still the latest, with finite weights; the history ends at it.
        using var ck = RunCheckpoint.LoadLatest(run)!;
        Assert.Equal(2, ck.State.Step);
        Assert.All(ck.Weights.Values, t => Assert.True(isfinite(t).all().item<bool>()));
        Assert.Equal([1, 2], new RunHistory(new RunLayout(run)).Read().Select(h => h.Step));
    }

    public void Dispose() => _scratch.Dispose();

    private sealed class Recorder : IRunProgress
    {
        public List<int> Steps { get; } = [];
        public Action<StepReport>? OnReport { get; init; }

        public void Step(StepReport report)
        {
            Steps.Add(report.Step);
            OnReport?.Invoke(report);
        }
    }
}
