using Nada.Core.Adaptation.Compact;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Adaptation;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Benchmarks;

/// <summary>
/// A <see cref="CompactTrainer"/> over random networks of the benchmark's shapes, built as <see cref="TrainingRig"/>
/// builds the full trainer (same generator weights, same CLIPs and loss) but with one generator: the offsets train.
/// </summary>
public sealed class CompactTrainingRig : IDisposable
{
    private readonly StyleGenerator _generator;
    private readonly ClipEnsemble _ensemble;
    private readonly ClipAdaptationLoss _loss;
    private readonly Device _device;

    /// <summary>The options the trainer runs with.</summary>
    public AdaptationOptions Options { get; }

    /// <summary>The trainer.</summary>
    public CompactTrainer Trainer { get; }

    /// <summary>Number of offsets that train.</summary>
    public long OffsetCount => Trainer.AllOffsets().Values.Sum(t => t.NumberOfElements);

    /// <summary>Builds the networks (random weights, seeded) on <paramref name="device"/> and the trainer.</summary>
    public CompactTrainingRig(BenchShapes shapes, AdaptationOptions options, Device device, Ops.PrecisionPlan? plan = null)
    {
        plan ??= Ops.PrecisionPlan.Fp32;
        _device = device;
        Options = options with { Precision = plan.Generator };
        _generator = TrainingRig.RandomGenerator(shapes, device);
        _ensemble = new ClipEnsemble(shapes.Clip.Select((c, i) => (RandomClip.Create(c, seed: 100 + i, device: device, dtype: plan.Clip.DType()), 1f)).ToList());
        ClipLossSet? losses = null;
        try
        {
            losses = new ClipLossSet(_ensemble, new ClipLossWeights(Options.LambdaDirection), "photo", "sketch");
            var view = new ClipEnsemble(_ensemble.Members.Select(m => (m.Model, m.Weight)), ownsModels: false);
            _loss = new ClipAdaptationLoss(view, losses, "sketch");
        }
        catch
        {
            losses?.Dispose();
            _ensemble.Dispose();
            throw;
        }
        Trainer = new CompactTrainer(_generator, [("sketch", _loss)], Options);
    }

    /// <summary>One training step with the draws of step <paramref name="step"/>; returns the loss read on the host (a synchronisation).</summary>
    public float Step(int step)
    {
        using var scope = NewDisposeScope();
        using var draws = RunRandom.ForStep(Options, step, _generator.Config, _device, Trainer.SelectsLayers);
        var result = Trainer.Step(draws.Z, draws.MixZ, draws.MixIndex, draws.SelectionZ, draws.Noise);
        return result.Total.item<float>();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Trainer.Dispose();
        _loss.Dispose();
        _ensemble.Dispose();
        _generator.Dispose();
    }
}
