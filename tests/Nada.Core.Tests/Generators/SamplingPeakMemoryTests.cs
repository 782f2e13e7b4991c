using Nada.Core.Benchmarks;
using Nada.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Pins the peak memory of no-grad sampling on the `nada bench --small` shapes (64 px, 64 channels, batch 8, psi 0.7),
/// as `nada bench` reports it (resident set of a step above the resident set before it), measured in a fresh `nada`
/// process so that no other test's allocations (heap fragmentation included) shape the figure.
/// </summary>
/// <remarks>
/// A = one feature map at the output resolution (batch x channels x 64 x 64 x 4 bytes = 8 MiB). Releasing every
/// intermediate at its last use, the largest layer (the last up-sampling convolution) holds its input, the transposed
/// convolution's output, the blur's padded copy and its output, plus oneDNN's reordered copies of a convolution's input
/// and output: about 6 A. The bound is 8 A. Keeping every intermediate until the end of the call (one dispose scope
/// around it, as before the per-layer scopes) measured 187 MiB (23 A) on these shapes.
/// </remarks>
public class SamplingPeakMemoryTests(ITestOutputHelper log) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-peak-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public async Task NoGradSamplingPeakStaysNearTheLargestLayer()
    {
        var json = Path.Combine(_dir.FullName, "sample.json");
        var run = await CliProcess.RunAsync(["bench", "--device", "cpu", "--shapes", "small", "--workloads", "4", "--warmup", "2", "--repeats", "5", "--json", json],
            TimeSpan.FromMinutes(5));
        Assert.True(run.Exit == 0, run.Output);
        var sample = BenchReport.FromJson(File.ReadAllText(json)).Workloads.Single();
        Assert.NotNull(sample.StepPeakMemoryBytes);                                  // Linux: VmHWM can be reset
        var cfg = BenchShapes.Small.Generator;
        long a = (long)BenchShapes.Small.SampleBatch * cfg.ChannelsAt(cfg.ImgResolution) * cfg.ImgResolution * cfg.ImgResolution * sizeof(float);
        long peak = sample.StepPeakMemoryBytes!.Value;
        log.WriteLine($"no-grad sampling step peak {peak / 1048576.0:F1} MiB = {(double)peak / a:F1} A (A = {a / 1048576.0:F1} MiB), largest of {sample.StepSeconds.Count} timed steps");
        Assert.True(peak <= 8 * a, $"no-grad sampling peaked at {peak / 1048576.0:F1} MiB, above 8 feature maps ({8 * a / 1048576.0:F1} MiB)");
    }
}
