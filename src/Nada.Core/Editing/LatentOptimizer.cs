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
    private readonly StyleGan2Generator generator;
    private readonly ClipGuide guide;

    /// <summary>The settings.</summary>
    public LatentOptimizationOptions Options { get; }

    /// <param name="generator">The generator (not owned; its parameters are left untouched).</param>
    /// <param name="clip">CLIP models with weights (not owned).</param>
    /// <param name="text">What the image should show; must not be empty.</param>
    /// <param name="options">Settings; validated here.</param>
    public LatentOptimizer(StyleGan2Generator generator, ClipEnsemble clip, string text, LatentOptimizationOptions options)
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

    /// <summary>Runs every step, reporting progress; returns the optimised latent and its image.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before a step.</exception>
    /// <exception cref="AdaptationFailedException">The loss became NaN or infinite.</exception>
    public LatentOptimizationResult Optimize(Tensor startWPlus, IEditProgress progress, CancellationToken ct, Tensor? photo = null)
    {
        using var session = Begin(startWPlus, photo);
        double startScore = session.CurrentScore();
        for (int step = 0; step < Options.Steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            bool preview = (step + 1) % Options.PreviewEvery == 0 || step + 1 == Options.Steps;
            progress.Report(session.Step(preview));
        }
        var (w, image, score) = session.Finish();
        return new LatentOptimizationResult(w, image, startScore, score);
    }

    /// <inheritdoc/>
    public void Dispose() => guide.Dispose();
}

/// <summary>One running latent optimisation: the W+ parameter, its start, the optimiser. Call <see cref="Step"/> repeatedly.</summary>
public sealed class LatentOptimizationSession : IDisposable
{
    private readonly StyleGan2Generator generator;
    private readonly ClipGuide guide;
    private readonly LatentOptimizationOptions options;
    private readonly LearningRateSchedule schedule;
    private readonly Parameter w;                 // [1, NumWs, WDim], optimised
    private readonly Tensor wStart;               // [1, NumWs, WDim]
    private readonly Tensor[]? photoFeatures;     // per CLIP model [1, D]
    private readonly optim.Optimizer adam;
    private readonly FrozenParameters frozen;
    private int step;

    internal LatentOptimizationSession(StyleGan2Generator generator, ClipGuide guide, LatentOptimizationOptions options, Tensor startWPlus, Tensor? photo)
    {
        var c = generator.Config;
        if (startWPlus.dim() != 3 || startWPlus.shape[0] != 1 || startWPlus.shape[1] != c.NumWs || startWPlus.shape[2] != c.WDim)
            throw new ArgumentException($"The starting latent must be [1, {c.NumWs}, {c.WDim}] for this generator, got [{string.Join(", ", startWPlus.shape)}].");
        this.generator = generator;
        this.guide = guide;
        this.options = options;
        schedule = options.LearningRateSchedule;
        var device = generator.LatentAvg.device;
        using (var scope = NewDisposeScope())
        {
            wStart = startWPlus.detach().to(ScalarType.Float32, device).clone().DetachFromDisposeScope();
            w = new Parameter(wStart.clone(), requires_grad: true);
            w.DetachFromDisposeScope();
            if (photo is not null && options.PhotoWeight > 0)
            {
                using var noGrad = no_grad();
                photoFeatures = guide.EncodeImages(photo.to(ScalarType.Float32, device)).Select(f => f.DetachFromDisposeScope()).ToArray();
            }
        }
        // Adam makes its state tensors in its constructor: outside our scope, so they live as long as the session.
        adam = optim.Adam([w], options.LearningRate, options.Beta1, options.Beta2);
        frozen = new FrozenParameters(generator);
    }

    /// <summary>Steps done.</summary>
    public int StepsDone => step;

    /// <summary>CLIP score of the current latent (no gradient).</summary>
    public double CurrentScore()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var image = generator.Synthesis(w, options.Noise);
        return guide.TextScore(guide.EncodeImages(image)).mean().cpu().item<float>();
    }

    /// <summary>One optimisation step; the report carries the CLIP score of the image rendered in this step and, when asked, its PNG.</summary>
    public EditProgress Step(bool withPreview)
    {
        using var scope = NewDisposeScope();
        double lr = schedule.RateAt(step, options.Steps);
        foreach (var group in adam.ParamGroups) group.LearningRate = lr;
        adam.zero_grad();
        var image = generator.Synthesis(w, options.Noise);                       // [1, C, H, W]
        var features = guide.EncodeImages(image);
        var clipLoss = guide.TextLoss(features, options.LossForm);
        var l2 = (w - wStart).pow(2).sum();
        var total = clipLoss + options.L2Weight * l2;
        Tensor? photoLoss = null;
        if (photoFeatures is not null)
        {
            photoLoss = guide.ImageDistance(features, photoFeatures);
            total = total + options.PhotoWeight * photoLoss;
        }
        total.backward();
        adam.step();
        step++;

        double totalValue = total.detach().cpu().item<float>();
        if (!double.IsFinite(totalValue))
            throw new AdaptationFailedException($"The edit loss became {totalValue} at step {step}; try a lower learning rate.");
        var losses = new Dictionary<string, double>
        {
            ["total"] = totalValue,
            ["clip"] = clipLoss.detach().cpu().item<float>(),
            ["l2"] = l2.detach().cpu().item<float>(),
        };
        if (photoLoss is not null) losses["photo"] = photoLoss.detach().cpu().item<float>();
        double score;
        using (no_grad()) score = guide.TextScore(features).mean().cpu().item<float>();
        var png = withPreview ? ImageEncoder.ToPngs(image)[0] : null;
        return new EditProgress(step, options.Steps, losses, score, lr, png);
    }

    /// <summary>The current latent [1, NumWs, WDim], its image and CLIP score, as new tensors the caller owns.</summary>
    public (Tensor WPlus, Tensor Image, double Score) Finish()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var wOut = w.detach().clone();
        var image = generator.Synthesis(wOut, options.Noise);
        double score = guide.TextScore(guide.EncodeImages(image)).mean().cpu().item<float>();
        return (wOut.MoveToOuterDisposeScope(), image.MoveToOuterDisposeScope(), score);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        adam.Dispose();
        w.Dispose();
        wStart.Dispose();
        foreach (var f in photoFeatures ?? []) f.Dispose();
        frozen.Dispose();
    }
}

/// <summary>Turns off requires_grad on a generator's parameters while latents are optimised, and restores it.</summary>
internal sealed class FrozenParameters : IDisposable
{
    private readonly List<(Parameter Parameter, bool RequiresGrad)> saved;

    public FrozenParameters(nn.Module module)
    {
        saved = module.parameters().Select(p => (p, p.requires_grad)).ToList();
        foreach (var (p, _) in saved) p.requires_grad = false;
    }

    public void Dispose()
    {
        foreach (var (p, g) in saved) p.requires_grad = g;
    }
}
