using System.Diagnostics;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Imaging;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Sampling 200 batches inside dispose scopes must leave no live tensors behind and must not grow native memory.
/// </summary>
[Collection(nameof(SamplingLeakTests))]
public class SamplingLeakTests(ITestOutputHelper log)
{
    private const int Iterations = 200;
    private const int Batch = 8;

    [Fact]
    public void SamplingLoopDoesNotLeak()
    {
        // A 64 px generator (random weights, 16 channels to keep the test fast).
        var cfg = new StyleGan2Config(64, 64, 64, 8, new Dictionary<int, int> { [4] = 16, [8] = 16, [16] = 16, [32] = 16, [64] = 16 });
        using var g = new StyleGan2Generator(cfg);

        void Step(int i)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(Enumerable.Range(i * Batch, Batch).ToList(), cfg.ZDim);
            var img = g.Generate(z, 0.7f, i % 2 == 0 ? NoiseMode.Const : NoiseMode.Random);
            if (i % 50 == 0) Assert.NotEmpty(ImageEncoder.ToPngs(img));
        }

        for (int i = 0; i < 20; i++) Step(i);                       // warm-up: allocator pools, JIT
        var proc = Process.GetCurrentProcess();
        DisposeScopeManager.Statistics.Reset();
        var readings = new List<long> { TrimmedWorkingSet(proc) };
        for (int i = 0; i < Iterations; i++)
        {
            Step(i);
            if (i % 25 == 24) readings.Add(TrimmedWorkingSet(proc));
        }
        // Growth = mean of the last three readings minus mean of the first three (robust to single spikes).
        long before = (long)readings.Take(3).Average(), after = (long)readings.TakeLast(3).Average();
        log.WriteLine("working set every 25 batches (MiB): " + string.Join(", ", readings.Select(r => (r / 1048576.0).ToString("F1"))));

        var stats = DisposeScopeManager.Statistics;
        log.WriteLine($"tensors: created in scope {stats.CreatedInScopeCount}, disposed in scope {stats.DisposedInScopeCount}, " +
                      $"created outside {stats.CreatedOutsideScopeCount}, live now {stats.ThreadTotalLiveCount}; " +
                      $"working set {before / 1048576.0:F1} MiB -> {after / 1048576.0:F1} MiB");
        Assert.True(stats.CreatedInScopeCount > Iterations * 50, "the loop should create many tensors in scope");
        Assert.Equal(0L, stats.ThreadTotalLiveCount);
        Assert.Equal(0L, stats.CreatedOutsideScopeCount);
        // Freed native memory is returned to the OS before each reading (malloc_trim) and this test runs alone
        // (its collection is not parallelised), so the working set tracks live memory. One leaked output image
        // per batch (8 x 3 x 64 x 64 x 4 B = 384 KiB) would add 150 x 384 KiB = 56 MiB between the two windows
        // (150 batches apart); 24 MiB leaves room for allocator noise (about +-15 MiB seen) while catching it.
        Assert.True(after - before < 24L * 1024 * 1024, $"working set grew by {(after - before) / 1048576.0:F1} MiB");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(UIntPtr pad);

    private static long TrimmedWorkingSet(Process proc)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (OperatingSystem.IsLinux()) MallocTrim(UIntPtr.Zero);
        proc.Refresh();
        return proc.WorkingSet64;
    }
}

/// <summary>Runs the leak test alone, so other tests' allocations do not show in the process's memory.</summary>
[CollectionDefinition(nameof(SamplingLeakTests), DisableParallelization = true)]
public sealed class SamplingLeakCollection;
