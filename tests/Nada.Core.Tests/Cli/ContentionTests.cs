using System.Globalization;
using System.Text.RegularExpressions;
using Nada.Core.Benchmarks;
using Nada.Core.Tests.Infrastructure;
using Xunit.Abstractions;
using static Nada.Core.Tests.Infrastructure.BusyLoops;

namespace Nada.Core.Tests.Cli;

/// <summary>
/// A busy CPU must not collapse a fresh engine process (the OpenMP spin-wait bug, see <see cref="EngineRuntime"/>).
/// Under two busy loops per CPU, a fresh process trains at the rate it has after a sampling call on another thread,
/// and the CLI's start-up stays within 3x of idle. Every measurement is a real child process. Runs alone: its loops
/// would slow every other test, and other tests would disturb its timings.
/// </summary>
/// <remarks>
/// Before the fix (2 CPUs), with the loops in the test's session, <c>nada adapt</c> on the tiny networks took 8 s per
/// step instead of 0.5 s with the fix and 0.15 s idle; with the loops in a session of their own, a fresh process
/// trained at 0.80 s/step and at 7.2 s/step after a sampling call. Fair sharing sets a floor: with 4 loops in our
/// session, one thread of ours gets 2/5 of the 2 CPUs and two threads 1/3 each, so our work takes 2.5-3x as long.
/// </remarks>
[Collection(nameof(ContentionCollection))]
public class ContentionTests(ITestOutputHelper output)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    [Fact]
    public void TheEngineSetsAPassiveOpenMpWaitPolicyBeforeLibTorchLoads()
    {
        // Nothing in this test host set it: the engine's module initializer did (unless the environment chose a policy).
        Assert.NotNull(EngineRuntime.EnvironmentNote);
        Assert.DoesNotContain("loaded before", EngineRuntime.EnvironmentNote);
    }

    /// <summary>
    /// The issue's test: the load as another user's job (a session of its own), steps within 1.5x. Under 2 busy loops per
    /// core one run's medians scatter by about +-30% (measured ratios 0.67 to 1.53 on a correct build), so a run that
    /// lands above the bound is repeated once; the bug this guards against made the fresh process 17x slower.
    /// </summary>
    [Fact]
    public async Task AFreshProcessTrainsAtTheWarmRateUnderLoad()
    {
        var dir = Directory.CreateTempSubdirectory("nada-contention-");
        try
        {
            var seen = new List<string>();
            for (int attempt = 1; attempt <= 2; attempt++)
            {
                string json = Path.Combine(dir.FullName, $"bench-{attempt}.json");
                CliProcess.Result run;
                using (new BusyLoops(perCore: 2, LoadSession.Own))
                    run = await CliProcess.RunAsync(["bench", "--device", "cpu", "--small", "--workloads", "6", "--warmup", "1", "--repeats", "12", "--json", json],
                        TimeSpan.FromSeconds(240));
                Assert.True(run.Exit == 0, run.Output);
                var w = BenchReport.FromJson(File.ReadAllText(json)).Workloads.Single(x => x.Name == "fresh_process");
                double fresh = w.MedianSeconds, warm = w.AfterSamplingMedianSeconds!.Value;
                double apart = Math.Max(fresh, warm) / Math.Min(fresh, warm);
                string line = $"2 busy loops per CPU (own session), run {attempt}: fresh {fresh:F4} s/step, after a sampling call {warm:F4} s/step, {apart:F2}x apart";
                output.WriteLine(line);
                seen.Add(line + (apart > 1.5 ? "\n" + run.Output : ""));
                if (apart <= 1.5) return;
            }
            Assert.Fail($"fresh and warm step times more than 1.5x apart in both runs:\n{string.Join("\n", seen)}");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    /// <summary>
    /// Start-up (to the "training steps" line) and steady steps of <c>nada adapt</c>, idle and under load. The issue's
    /// bound, 3x, holds with the load as another user's job (its own session). With the loops in our own session, fair
    /// sharing alone makes our work 2.5-3x slower (see the remarks), so the bound there is 5x: far below the 16x per
    /// step of the spin-wait bug and clear of that floor.
    /// </summary>
    [Theory]
    [InlineData(LoadSession.Own, 3.0)]
    [InlineData(LoadSession.Same, 5.0)]
    public async Task CliStartUpAndStepsUnderLoadStayNearIdle(LoadSession session, double bound)
    {
        var dir = Directory.CreateTempSubdirectory("nada-contention-");
        try
        {
            // Interleaved idle and busy runs; the best of each (noise only ever adds time).
            var idle = new List<(double StartUp, double Step)>();
            var busy = new List<(double StartUp, double Step)>();
            for (int i = 0; i < 2; i++)
            {
                idle.Add(await Adapt(dir, $"idle{i}"));
                using (new BusyLoops(perCore: 2, session))
                    busy.Add(await Adapt(dir, $"busy{i}"));
            }
            double startUp = busy.Min(r => r.StartUp) / idle.Min(r => r.StartUp);
            double step = busy.Min(r => r.Step) / idle.Min(r => r.Step);
            string figures = $"2 busy loops per CPU ({session} session) vs idle: start-up {Show(busy, r => r.StartUp)} vs {Show(idle, r => r.StartUp)} s ({startUp:F2}x), " +
                             $"steps {Show(busy, r => r.Step)} vs {Show(idle, r => r.Step)} s/step ({step:F2}x)";
            output.WriteLine(figures);
            Assert.True(startUp <= bound && step <= bound, $"{figures}; bound {bound}x");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static string Show(List<(double StartUp, double Step)> runs, Func<(double StartUp, double Step), double> pick) =>
        string.Join("/", runs.Select(r => pick(r).ToString("F2", Inv)));

    /// <summary>
    /// <c>nada adapt</c> for 6 steps in a fresh process, as the CLI itself measures them: seconds from process start to
    /// its "training steps" line (models loaded, prompts encoded), and the mean of its s/step figures for steps 2 to 5
    /// (after the first step's one-time costs, before the last step's preview). The CLI's own clock, so that pipe and
    /// thread-pool delays of this test host do not count.
    /// </summary>
    private static async Task<(double StartUp, double Step)> Adapt(DirectoryInfo dir, string name)
    {
        var run = await CliProcess.RunAsync(["adapt", "--generator", ParityFiles.File("stylegan2_rosinality.pt"),
            "--clip", ParityFiles.File("clip_openai_tiny_vit.pt"), "--source", "photo", "--target", "sketch",
            "--iters", "6", "--sample-every", "100", "--checkpoint-every", "100", "--out", Path.Combine(dir.FullName, name)], TimeSpan.FromSeconds(300));
        Assert.True(run.Exit == 0, run.Output);
        var startUp = Regex.Match(run.Output, @"start-up took ([0-9.]+) s");
        Assert.True(startUp.Success, run.Output);
        var rates = Regex.Matches(run.Output, @"^step ([2-5])/6 .*, ([0-9.]+) s/step\]$", RegexOptions.Multiline);
        Assert.True(rates.Count == 4, run.Output);
        return (double.Parse(startUp.Groups[1].Value, Inv), rates.Average(m => double.Parse(m.Groups[2].Value, Inv)));
    }
}

/// <summary>Tests that load every CPU on purpose: never beside other tests.</summary>
[CollectionDefinition(nameof(ContentionCollection), DisableParallelization = true)]
public sealed class ContentionCollection;
