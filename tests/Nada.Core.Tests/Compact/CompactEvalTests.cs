using System.Globalization;
using System.Text.Json;
using Nada.Cli;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Evaluation;
using Nada.Core.Generators;
using Nada.Core.Runs;
using Nada.Core.Tests.Checkpoints;
using Nada.Core.Tests.Infrastructure;
using static Nada.Core.Tests.Compact.CompactTestData;

namespace Nada.Core.Tests.Compact;

/// <summary>CLIP-only scores of compact and full domains on the tiny networks (the tiny CLIP is the training one here: no other exists).</summary>
public sealed class CompactEvalTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();

    private static EvaluationRequest Eval(params DomainWeight[] domains) => new()
    {
        GeneratorPath = BaseFile, Domains = domains, ClipPath = ClipFile, TargetText = "sketch", SourceText = "photo", Samples = 12, Seed = 5,
    };

    [Fact]
    public void ScoresAreReproducibleAndRespondToTraining()
    {
        // Step 0: offsets all zero (the base itself).
        string zero = _scratch.File("zero.safetensors");
        using (var g = GeneratorLoader.LoadGenerator(BaseFile))
        {
            var id = GeneratorIdentity.Of(g, "stylegan2_rosinality.pt");
            var offsets = g.ModulatedLayers.Where(l => !l.IsToRgb).ToDictionary(l => l.Name, l => TorchSharp.torch.zeros(l.InChannels));
            using var d = new CompactDomain(Info(id, "sketch") with { Clips = TrainingClip.Of([new ClipModelChoice(ClipFile)]) }, offsets);
            CompactDomainFile.Save(zero, d);
        }
        var atZero = DomainEvaluator.Evaluate(Eval(new DomainWeight(zero)));
        Assert.Equal(0.0, atZero.Directional);
        Assert.Equal(atZero.BaseQuality, atZero.Quality);

        var trained = DomainAdapter.Run(Request(_scratch.File("run"), 30), RunContext.For(new ListProgress()));
        var first = DomainEvaluator.Evaluate(Eval(new DomainWeight(trained.GeneratorFile)));
        var again = DomainEvaluator.Evaluate(Eval(new DomainWeight(trained.GeneratorFile)));
        Assert.Equal(first, again);
        Assert.True(first.Directional > atZero.Directional + 0.05, $"directional {first.Directional:F4} after 30 steps vs {atZero.Directional:F4} at step 0");
        Assert.Equal(EvaluatedKind.Compact, first.Kind);
        Assert.True(first.EvaluatorUsedInTraining);
        Assert.Contains("was used in training", first.Note);
        Assert.NotEqual(first.Quality, first.BaseQuality);
        Assert.InRange(first.Diversity, 0, 2);
        // alpha 0 is the base
        var none = DomainEvaluator.Evaluate(Eval(new DomainWeight(trained.GeneratorFile, 0f)));
        Assert.Equal(0.0, none.Directional);
        Assert.Equal(first.BaseDiversity, none.Diversity);
        // the base alone
        var baseOnly = DomainEvaluator.Evaluate(Eval());
        Assert.Equal(EvaluatedKind.Base, baseOnly.Kind);
        Assert.Null(baseOnly.EvaluatorUsedInTraining);
        Assert.Equal(first.BaseQuality, baseOnly.Quality);
    }

    [Fact]
    public void AFullDomainIsScoredToo()
    {
        var request = new AdaptationRequest
        {
            GeneratorPath = BaseFile, ClipModels = [new ClipModelChoice(ClipFile)], SourceText = "photo", TargetText = "sketch",
            Iterations = 3, OutputDirectory = _scratch.File("full"), Options = new AdaptationOptions { TrainNoise = NoiseMode.Const },
        };
        var full = DomainAdapter.Run(request, RunContext.For(new ListProgress()));
        var scores = DomainEvaluator.Evaluate(Eval(new DomainWeight(full.GeneratorFile)));
        Assert.Equal(EvaluatedKind.Full, scores.Kind);
        Assert.True(scores.EvaluatorUsedInTraining);
        Assert.NotEqual(0.0, scores.Directional);
        var e = Assert.Throws<ArgumentException>(() => DomainEvaluator.Evaluate(Eval(new DomainWeight(full.GeneratorFile), new DomainWeight(full.GeneratorFile))));
        Assert.Contains("full and compact domains do not mix", e.Message);
    }

    [Fact]
    public void TheCliWritesScoresAsJson()
    {
        var trained = DomainAdapter.Run(Request(_scratch.File("run"), 3), RunContext.For(new ListProgress()));
        string json = _scratch.File("scores.json");
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(["eval", "--generator", BaseFile, "--domain", trained.GeneratorFile + ":0.5", "--clip", ClipFile, "--target", "sketch",
            "--samples", "4", "--json", json], o, e);
        Assert.True(code == 0, e.ToString());
        Assert.Contains("quality", o.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var scores = doc.RootElement.GetProperty("scores");
        foreach (var key in new[] { "quality", "diversity", "directional", "base_quality", "evaluator_used_in_training" })
            Assert.True(scores.TryGetProperty(key, out _), key);
        Assert.Equal("compact", scores.GetProperty("kind").GetString());

        int bad = CliApp.Run(["eval", "--generator", OtherFile, "--domain", trained.GeneratorFile, "--clip", ClipFile, "--target", "sketch", "--samples", "2"], o, e = new StringWriter());
        Assert.Equal(1, bad);
        Assert.StartsWith("error: ", e.ToString());
        Assert.Contains("sg2ada.pkl", e.ToString());
        Assert.Contains("stylegan2_rosinality.pt", e.ToString());
    }

    public void Dispose() => _scratch.Dispose();
}
