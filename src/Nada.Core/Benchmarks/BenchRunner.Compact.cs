using System.Diagnostics;

namespace Nada.Core.Benchmarks;

/// <summary>The compact-domain workload, kept apart from the full-training ones.</summary>
public sealed partial class BenchRunner
{
    private BenchWorkloadResult TrainCompact(MemoryProbe probe, Ops.PrecisionPlan plan)
    {
        var o = OptionsFor(BenchWorkload.TrainReadme);
        var build = Stopwatch.StartNew();
        using var rig = new CompactTrainingRig(shapes, o, device, plan);
        log?.WriteLine($"  networks built in {build.Elapsed.TotalSeconds:F1} s ({rig.Trainer.Layers.Count} layers, {rig.OffsetCount} offsets)");
        var times = Time(step => rig.Step(step), probe);
        return Result(BenchWorkload.TrainCompact,
            $"compact-domain training step, workload 1's settings (batch {o.BatchSize}, k {o.AutoLayerK} = all, selection skipped): one generator, {rig.OffsetCount} offsets and their Adam state",
            times, null, probe);
    }
}
