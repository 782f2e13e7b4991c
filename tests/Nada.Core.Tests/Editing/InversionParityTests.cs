using Nada.Core.Runs;
using Nada.Core.Tests.Infrastructure;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Tests.Checkpoints;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>Photo inversion on the tiny parity generator (and tiny CLIP for the perceptual term).</summary>
[Collection(nameof(EditingCollection))]
public sealed class InversionParityTests(ITestOutputHelper log) : IDisposable
{
    private readonly CheckpointTestFiles.Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>Renders a known latent to a PNG file, as a user's photo would arrive.</summary>
    private string RenderedPhoto(StyleGan2Generator g, int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = g.MapToWPlus(SeedLatents.FromSeeds([seed], g.Config.ZDim));      // [1, NumWs, WDim]
        return scratch.Write($"photo{seed}.png", ImageEncoder.ToPngs(g.Synthesis(w))[0]);
    }

    private static double Mse(StyleGan2Generator g, Tensor wPlus, Tensor photo)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (g.Synthesis(wPlus) - photo).pow(2).mean().item<float>();
    }

    [Fact]
    public void InvertingARenderedImageLowersTheErrorByALargeFactor()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        using var photo = PhotoInverter.LoadPhoto(RenderedPhoto(g, 123), g.Config.ImgResolution);
        var options = new InversionOptions { Steps = 150, PreviewEvery = 50 };
        using var inverter = new PhotoInverter(g, clip, options);
        var reports = new List<StepReport>();
        using var result = inverter.Invert(photo, TestRuns.Reporter(new ListProgress(reports)));

        // The reported errors are the real ones: recompute them from the latents.
        var (mean, _) = inverter.MeanLatent();
        using (mean)
        using (var start = mean.view(1, 1, -1).expand(1, g.Config.NumWs, -1))
        {
            Assert.Equal(Mse(g, start, photo), result.StartMse, 6);
        }
        double finalMse = Mse(g, result.WPlus, photo);
        Assert.Equal(finalMse, result.FinalMse, 6);
        double ratio = result.StartMse / result.FinalMse;
        log.WriteLine($"inversion (W+, {options.Steps} steps, MSE + CLIP): MSE {result.StartMse:F5} -> {result.FinalMse:F5}, ratio {ratio:F1}x");
        Assert.True(ratio >= 5, $"reconstruction MSE fell only {ratio:F2}x ({result.StartMse:F5} -> {result.FinalMse:F5})");

        Assert.Equal(Enumerable.Range(1, options.Steps), reports.Select(r => r.Step));
        Assert.Equal([50, 100, 150], reports.Where(r => r.ImageFile is not null).Select(r => r.Step));
        Assert.All(reports, r => Assert.True(r.Values.ContainsKey("mse") && r.Values.ContainsKey("perceptual")));
        EditRunner.WriteStrip(Path.Combine(EditTestData.OutputDir, "inversion-strip.png"), photo, result.Image);
        EditTestData.CopyArtifact("inversion-strip.png");
    }

    [Fact]
    public void InversionInWSpaceGivesOneSharedW()
    {
        using var g = EditTestData.LoadGenerator();
        using var photo = PhotoInverter.LoadPhoto(RenderedPhoto(g, 5), g.Config.ImgResolution);
        using var inverter = new PhotoInverter(g, null, new InversionOptions { Steps = 60, Space = LatentSpace.W });
        using var result = inverter.Invert(photo, TestRuns.Reporter());
        Assert.Equal(new long[] { 1, g.Config.NumWs, g.Config.WDim }, result.WPlus.shape);
        using var first = result.WPlus.select(1, 0).unsqueeze(1);
        Assert.True(result.WPlus.eq(first).all().item<bool>(), "every W+ row must be the same w in W space");
        log.WriteLine($"inversion (W, 60 steps, MSE only): MSE {result.StartMse:F5} -> {result.FinalMse:F5}");
        Assert.True(result.FinalMse < result.StartMse / 2, $"MSE {result.StartMse:F5} -> {result.FinalMse:F5}");
    }

    [Fact]
    public void AnInversionLeavesNoLiveTensors()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        using var photo = PhotoInverter.LoadPhoto(RenderedPhoto(g, 8), g.Config.ImgResolution);
        using var inverter = new PhotoInverter(g, clip, new InversionOptions { Steps = 20, MeanSamples = 64, PreviewEvery = 5 });
        DisposeScopeManager.Statistics.Reset();
        inverter.Invert(photo, TestRuns.Reporter()).Dispose();
        var stats = DisposeScopeManager.Statistics;
        log.WriteLine($"20 inversion steps: created in scope {stats.CreatedInScopeCount}, disposed in scope {stats.DisposedInScopeCount}, " +
                      $"created outside {stats.CreatedOutsideScopeCount}, live {stats.ThreadTotalLiveCount}");
        Assert.True(stats.CreatedInScopeCount > 20 * 50);
        Assert.Equal(0L, stats.ThreadTotalLiveCount);
    }

    [Fact]
    public void InversionCancelsWithinAStep()
    {
        using var g = EditTestData.LoadGenerator();
        using var photo = PhotoInverter.LoadPhoto(RenderedPhoto(g, 9), g.Config.ImgResolution);
        using var inverter = new PhotoInverter(g, null, new InversionOptions { Steps = 50 });
        using var cts = new CancellationTokenSource();
        var reports = new List<StepReport>();
        var flags = g.parameters().Select(p => p.requires_grad).ToList();
        var progress = new ListProgress(reports, onReport: r => { if (r.Step == 3) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => inverter.Invert(photo, TestRuns.Reporter(progress, cts.Token)));
        Assert.Equal([1, 2, 3], reports.Select(r => r.Step));
        Assert.Equal(flags, g.parameters().Select(p => p.requires_grad));   // the generator's flags are restored
    }
}

