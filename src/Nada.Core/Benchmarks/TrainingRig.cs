using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Benchmarks;

/// <summary>
/// A <see cref="NadaTrainer"/> over random networks of the benchmark's shapes: a frozen and a trainable
/// generator, and the directional CLIP loss ("photo" to "sketch") over a random CLIP ensemble, built as a run builds them.
/// </summary>
public sealed class TrainingRig : IDisposable
{
    private readonly StyleGenerator _frozen;
    private readonly StyleGenerator _trainable;
    private readonly ClipAdaptationLoss _loss;
    private readonly Device _device;

    /// <summary>The options the trainer runs with.</summary>
    public AdaptationOptions Options { get; }

    /// <summary>The trainer.</summary>
    public NadaTrainer Trainer { get; }

    /// <summary>
    /// Builds the networks (random weights, seeded) on <paramref name="device"/> and the trainer; <paramref name="plan"/>
    /// sets the compute precision of the generators (through the options) and the CLIP models (default: float32).
    /// </summary>
    public TrainingRig(BenchShapes shapes, AdaptationOptions options, Device device, PrecisionPlan? plan = null, bool styleGan3 = false)
    {
        plan ??= PrecisionPlan.Fp32;
        _device = device;
        Options = options with { Precision = plan.Generator };
        _frozen = RandomGenerator(shapes, device, styleGan3);
        _trainable = _frozen.Clone();
        var ensemble = new ClipEnsemble(shapes.Clip.Select((c, i) => (RandomClip.Create(c, seed: 100 + i, device: device, dtype: plan.Clip.DType()), 1f)).ToList());
        ClipLossSet? losses = null;
        try
        {
            losses = new ClipLossSet(ensemble, new ClipLossWeights(Options.LambdaDirection), "photo", "sketch");
            _loss = new ClipAdaptationLoss(ensemble, losses, "sketch");
        }
        catch
        {
            losses?.Dispose();
            ensemble.Dispose();
            throw;
        }
        Trainer = new NadaTrainer(_frozen, _trainable, _loss, Options);
    }

    /// <summary>A generator of the shapes (StyleGAN2, or its StyleGAN3) with random initial weights (seeded), on <paramref name="device"/>.</summary>
    public static StyleGenerator RandomGenerator(BenchShapes shapes, Device device, bool styleGan3 = false)
    {
        manual_seed(7);
        return styleGan3
            ? new StyleGan3Generator(shapes.StyleGan3).ToDevice(device)
            : new StyleGan2Generator(shapes.Generator).ToDevice(device);
    }

    /// <summary>One training step with the draws of step <paramref name="step"/>; returns the loss read on the host (a synchronisation).</summary>
    public float Step(int step)
    {
        using var scope = NewDisposeScope();
        using var draws = RunRandom.ForStep(Options, step, _frozen.Config, _device, Trainer.SelectsLayers);
        var result = Trainer.Step(draws.Z, draws.MixZ, draws.MixIndex, draws.SelectionZ, draws.Noise);
        return result.Total.item<float>();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Trainer.Dispose();
        _loss.Dispose();
        _trainable.Dispose();
        _frozen.Dispose();
    }
}
