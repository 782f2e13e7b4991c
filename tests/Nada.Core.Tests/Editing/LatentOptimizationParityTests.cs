using Nada.Core.Runs;
using Nada.Core.Tests.Infrastructure;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Generators;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>Text-driven latent optimisation on the tiny parity generator and tiny CLIP.</summary>
[Collection(nameof(EditingCollection))]
public sealed class LatentOptimizationParityTests(ITestOutputHelper log)
{
    private const string Text = "a pencil sketch";

    /// <summary>cos(image, text) computed directly with the CLIP model, independent of <see cref="ClipGuide"/>.</summary>
    private static double DirectScore(ClipModel model, Tensor image, string text)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var img = model.EncodeImage(ClipPreprocessor.For(model).Forward(image));
        var txt = model.EncodeText(ClipTokenizer.Shared.Tokenize([text], contextLength: model.Config.ContextLength));
        return nn.functional.cosine_similarity(img, txt, 1).item<float>();
    }

    [Fact]
    public void OptimisingTowardATextRaisesItsClipScore()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        var options = new LatentOptimizationOptions { Steps = 40, PreviewEvery = 20 };
        using var optimizer = new LatentOptimizer(g, clip, Text, options);
        using var start = optimizer.SeedLatent(3);
        var reports = new List<StepReport>();
        using var result = optimizer.Optimize(start, TestRuns.Reporter(new ListProgress(reports)));

        var model = clip.Members[0].Model;
        Tensor startImage;
        using (no_grad()) startImage = g.Synthesis(start);
        using (startImage)
        {
            Assert.Equal(DirectScore(model, startImage, Text), result.StartScore, 4);
            EditRunner.WriteStrip(Path.Combine(EditTestData.OutputDir, "edit-strip.png"), startImage, result.Image);
        }
        Assert.Equal(DirectScore(model, result.Image, Text), result.FinalScore, 4);
        double gain = result.FinalScore - result.StartScore;
        // The scale of this random tiny CLIP's cosines: the scores of 16 other seeds' images for the same text.
        var seedScores = Enumerable.Range(100, 16).Select(seed =>
        {
            using var w = optimizer.SeedLatent(seed);
            using var noGrad = no_grad();
            using var image = g.Synthesis(w);
            return DirectScore(model, image, Text);
        }).ToList();
        log.WriteLine($"CLIP score of '{Text}' ({options.Steps} steps, lr {options.LearningRate}, L2 {options.L2Weight}): {result.StartScore:F4} -> {result.FinalScore:F4}, gain {gain:F4}; " +
                      $"16 random seeds score {seedScores.Min():F4} .. {seedScores.Max():F4}");
        Assert.True(gain > 0, $"CLIP score {result.StartScore:F4} -> {result.FinalScore:F4}");
        Assert.True(result.FinalScore > seedScores.Max(), $"edited score {result.FinalScore:F4} is not above every random sample's (max {seedScores.Max():F4})");

        Assert.Equal(Enumerable.Range(1, options.Steps), reports.Select(r => r.Step));
        Assert.Equal([20, 40], reports.Where(r => r.ImageFile is not null).Select(r => r.Step));
        Assert.All(reports, r => Assert.True(r.Values.ContainsKey(EditProgress.ClipScoreName)));
        Assert.Equal(0.0, reports[0].Values[EditProgress.LearningRateName]);                         // NVIDIA's ramp-up starts at zero
        Assert.True(reports.Max(r => r.Values[EditProgress.LearningRateName]) <= options.LearningRate + 1e-12);
        EditTestData.CopyArtifact("edit-strip.png");
    }

    [Fact]
    public void AStrongerL2PullKeepsTheLatentCloserToItsStart()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        double Distance(double l2)
        {
            using var optimizer = new LatentOptimizer(g, clip, Text, new LatentOptimizationOptions { Steps = 15, L2Weight = l2 });
            using var start = optimizer.SeedLatent(11);
            using var result = optimizer.Optimize(start, TestRuns.Reporter());
            using var d = (result.WPlus - start).norm();
            return d.item<float>();
        }
        double free = Distance(0), pulled = Distance(5);
        log.WriteLine($"|W+ - start| after 15 steps: L2 0 -> {free:F4}, L2 5 -> {pulled:F4}");
        Assert.True(pulled < free * 0.5, $"L2 0: {free:F4}, L2 5: {pulled:F4}");
    }

    [Fact]
    public void OptimisationReportsEveryStepAndCancelsWithinAStep()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        using var optimizer = new LatentOptimizer(g, clip, Text, new LatentOptimizationOptions { Steps = 30 });
        using var start = optimizer.SeedLatent(1);
        using var cts = new CancellationTokenSource();
        var reports = new List<StepReport>();
        var progress = new ListProgress(reports, onReport: r => { if (r.Step == 4) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => optimizer.Optimize(start, TestRuns.Reporter(progress, cts.Token)));
        Assert.Equal([1, 2, 3, 4], reports.Select(r => r.Step));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        reports.Clear();
        Assert.Throws<OperationCanceledException>(() => optimizer.Optimize(start, TestRuns.Reporter(new ListProgress(reports), cancelled.Token)));
        Assert.Empty(reports);
    }

    [Fact]
    public void OptimisationStepsInsideScopesLeaveNoLiveTensors()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        using var optimizer = new LatentOptimizer(g, clip, Text, new LatentOptimizationOptions { Steps = 30, PreviewEvery = 5 });
        using var start = optimizer.SeedLatent(2);
        LatentOptimizationSession opened;
        using (NewDisposeScope()) opened = optimizer.Begin(start);          // the session must outlive the caller's scope
        using var session = opened;
        session.Step(true);
        session.Step(false);                                               // warm-up
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 20; i++) session.Step(i % 5 == 0);
        var stats = DisposeScopeManager.Statistics;
        log.WriteLine($"20 steps: created in scope {stats.CreatedInScopeCount}, disposed in scope {stats.DisposedInScopeCount}, " +
                      $"created outside {stats.CreatedOutsideScopeCount}, live {stats.ThreadTotalLiveCount}");
        Assert.True(stats.CreatedInScopeCount > 20 * 50, "the steps should create many tensors in scope");
        Assert.Equal(0L, stats.ThreadTotalLiveCount);
        Assert.Equal(0L, stats.CreatedOutsideScopeCount);
    }
}
