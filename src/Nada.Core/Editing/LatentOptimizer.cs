using Nada.Core.Adaptation;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>The outcome of a latent optimisation. The caller disposes the tensors.</summary>
/// <param name="WPlus">The optimised latent [1, NumWs, WDim] on the generator's device.</param>
/// <param name="Image">Its image [1, C, H, W] in about [-1, 1].</param>
/// <param name="StartScore">CLIP score (weighted cosine of image and text) of the starting latent.</param>
/// <param name="FinalScore">CLIP score of the result.</param>
public sealed record LatentOptimizationResult(Tensor WPlus, Tensor Image, double StartScore, double FinalScore) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        WPlus.Dispose();
        Image.Dispose();
    }
}

/// <summary>
/// Text-driven latent optimisation (StyleCLIP's optimisation method): Adam on W+ so the image moves toward a
/// text under CLIP (one or several weighted models), with an L2 pull toward the starting latent and, from a
/// photo, an optional CLIP image-feature term toward the photo. Works on any generator, base or domain.
/// Synchronous; cancellation is honoured before every step.
/// </summary>
public sealed class LatentOptimizer : IDisposable
{
    private readonly StyleGenerator generator;
    private readonly ClipGuide guide;

    /// <summary>The settings.</summary>
    public LatentOptimizationOptions Options { get; }

    /// <param name="generator">The generator (not owned; its parameters are left untouched).</param>
    /// <param name="clip">CLIP models with weights (not owned).</param>
    /// <param name="text">What the image should show; must not be empty.</param>
    /// <param name="options">Settings; validated here.</param>
    public LatentOptimizer(StyleGenerator generator, ClipEnsemble clip, string text, LatentOptimizationOptions options)
    {
        Options = options.Validate();
        this.generator = generator;
        guide = new ClipGuide(clip, text);
    }

    /// <summary>The starting W+ [1, NumWs, WDim] for a seed (NumPy-compatible z, truncation from the options).</summary>
    public Tensor SeedLatent(int seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds([seed], generator.Config.ZDim);
        return generator.MapToWPlus(z, Options.TruncationPsi).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Starts a step-by-step optimisation from <paramref name="startWPlus"/> (optionally toward a photo [1, 3, H, W] in [-1, 1]).</summary>
    public LatentOptimizationSession Begin(Tensor startWPlus, Tensor? photo = null) => new(generator, guide, Options, startWPlus, photo);

    /// <summary>Runs every step, reporting each (values and, every <c>PreviewEvery</c> steps, the image); returns the optimised latent and its image.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before a step.</exception>
    /// <exception cref="AdaptationFailedException">The loss became NaN or infinite.</exception>
    public LatentOptimizationResult Optimize(Tensor startWPlus, Runs.RunReporter reporter, Tensor? photo = null)
    {
        using var session = Begin(startWPlus, photo);
        double startScore = session.CurrentScore();
        reporter.Started(0, Options.Steps);
        for (int step = 0; step < Options.Steps; step++)
        {
            reporter.BeforeStep();
            bool preview = (step + 1) % Options.PreviewEvery == 0 || step + 1 == Options.Steps;
            var r = session.Step(preview);
            reporter.Step(r.Step, r.TotalSteps, r.Values(), r.PreviewPng);
        }
        var (w, image, score) = session.Finish();
        return new LatentOptimizationResult(w, image, startScore, score);
    }

    /// <inheritdoc/>
    public void Dispose() => guide.Dispose();
}
