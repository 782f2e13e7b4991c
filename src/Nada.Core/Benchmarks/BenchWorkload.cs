namespace Nada.Core.Benchmarks;

/// <summary>The workloads of <see cref="BenchRunner"/>, numbered as on the command line.</summary>
public enum BenchWorkload
{
    /// <summary>Training step with the reference README settings: batch 2, k = all (selection skipped), 1 selection iteration, selection batch 8.</summary>
    TrainReadme = 1,
    /// <summary>Training step with real layer selection (k below the W+ count, e.g. 12 of 18).</summary>
    TrainSelect = 2,
    /// <summary>Training step without layer selection (auto-layer iterations 0, the default phase).</summary>
    TrainNoSelect = 3,
    /// <summary>Sampling: mapping, truncation and synthesis of a batch, no gradient.</summary>
    Sample = 4,
    /// <summary>First step after start: model construction to the end of the first training step (README settings).</summary>
    FirstStep = 5,
    /// <summary>
    /// Training steps in a fresh process, then the same steps after a sampling call made on another thread (as a web
    /// request makes one): the two medians should match. A gap shows thread-pool start-up effects (see <see cref="EngineRuntime"/>).
    /// </summary>
    FreshProcess = 6,
    /// <summary>
    /// Compact-domain training step with workload 1's settings (README preset: batch 2, k = all, selection skipped):
    /// one generator, offsets and their Adam state only (see <see cref="Adaptation.Compact.CompactTrainer"/>).
    /// </summary>
    TrainCompact = 7,
    /// <summary>StyleGAN3 (config T of the shapes' resolution) training step with workload 1's settings: batch 2, k = all W+ entries, selection skipped.</summary>
    TrainSg3 = 8,
    /// <summary>StyleGAN3 (config T) sampling: mapping, truncation and synthesis of a batch, no gradient.</summary>
    SampleSg3 = 9,
}

/// <summary>Names and descriptions of the workloads.</summary>
public static class BenchWorkloads
{
    /// <summary>All workloads in number order.</summary>
    public static IReadOnlyList<BenchWorkload> All { get; } = Enum.GetValues<BenchWorkload>();

    /// <summary>Workloads that must run first in their process (they measure process start-up); in this order.</summary>
    public static IReadOnlyList<BenchWorkload> StartUp { get; } = [BenchWorkload.FirstStep, BenchWorkload.FreshProcess];

    /// <summary>Short machine name used in JSON and tables.</summary>
    public static string Name(BenchWorkload w) => w switch
    {
        BenchWorkload.TrainReadme => "train_readme",
        BenchWorkload.TrainSelect => "train_select",
        BenchWorkload.TrainNoSelect => "train_no_select",
        BenchWorkload.Sample => "sample",
        BenchWorkload.FirstStep => "first_step",
        BenchWorkload.FreshProcess => "fresh_process",
        BenchWorkload.TrainCompact => "train_compact",
        BenchWorkload.TrainSg3 => "train_sg3",
        BenchWorkload.SampleSg3 => "sample_sg3",
        _ => throw new ArgumentOutOfRangeException(nameof(w)),
    };

    /// <summary>Parses "1,2,3" (or "all") into workloads; throws <see cref="ArgumentException"/> naming a bad entry.</summary>
    public static IReadOnlyList<BenchWorkload> Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
            return All;
        var list = new List<BenchWorkload>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out int n) || !Enum.IsDefined((BenchWorkload)n))
                throw new ArgumentException($"Unknown workload '{part}' in --workloads; use numbers 1 to {All.Count} separated by commas (e.g. 1,2,3).");
            if (!list.Contains((BenchWorkload)n)) list.Add((BenchWorkload)n);
        }
        return list;
    }
}
