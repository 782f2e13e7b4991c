using Nada.Core.Ops;
using Nada.Core.Adaptation;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>One running latent optimisation: the W+ parameter, its start, the optimiser. Call <see cref="Step"/> repeatedly.</summary>
public sealed class LatentOptimizationSession : IDisposable
{
    private readonly StyleGenerator generator;
    private readonly ClipGuide guide;
    private readonly LatentOptimizationOptions options;
    private readonly LearningRateSchedule schedule;
    private readonly Parameter w;                 // [1, NumWs, WDim], optimised
    private readonly Tensor wStart;               // [1, NumWs, WDim]
    private readonly Tensor[]? photoFeatures;     // per CLIP model [1, D]
    private readonly optim.Optimizer adam;
    private readonly FrozenParameters frozen;
    private readonly GradientScaler scaler;
    private int step;

    internal LatentOptimizationSession(StyleGenerator generator, ClipGuide guide, LatentOptimizationOptions options, Tensor startWPlus, Tensor? photo)
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
        // Adam makes its state tensors in its constructor; make sure they belong to the optimiser alone (disposed
        // with it), not to whatever scope the caller has open.
        var adamScope = NewDisposeScope();
        adam = optim.Adam([w], options.LearningRate, options.Beta1, options.Beta2);
        adamScope.Detach(adamScope.DisposablesView.ToArray());
        adamScope.Dispose();
        frozen = new FrozenParameters(generator);
        scaler = GradientScaler.For(generator.ComputeDtype);
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
        scaler.Scaled(total).backward();
        if (scaler.Unscale([w])) adam.step();                                    // float16: skipped when a gradient overflowed
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
