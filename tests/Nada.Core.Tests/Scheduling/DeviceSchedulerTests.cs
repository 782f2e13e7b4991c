using System.Diagnostics;
using Nada.Core.Runs;
using Nada.Core.Scheduling;

namespace Nada.Core.Tests.Scheduling;

/// <summary>The device scheduler without TorchSharp: where work runs, how long interactive work waits, errors and cancels.</summary>
public sealed class DeviceSchedulerTests
{
    /// <summary>A "training job" of <paramref name="steps"/> steps of <paramref name="stepMs"/> each, calling the boundary hook before each.</summary>
    private static int Train(RunContext ctx, int steps, int stepMs, List<int>? threads = null)
    {
        for (int i = 0; i < steps; i++)
        {
            ctx.BetweenSteps?.Invoke();
            ctx.Cancellation.ThrowIfCancellationRequested();
            threads?.Add(Environment.CurrentManagedThreadId);
            Thread.Sleep(stepMs);
        }
        return steps;
    }

    [Fact]
    public async Task InteractiveWorkWaitsAtMostOneStep_OnTheDeviceThread_AndTheJobGoesOn()
    {
        using var device = new DeviceScheduler("cpu");
        var jobThreads = new List<int>();
        var job = Task.Run(() => device.RunJob(ctx => Train(ctx, 30, 50, jobThreads), new RunContext()));
        await Task.Delay(200);
        var waits = new List<double>();
        for (int i = 0; i < 8; i++)
        {
            var sw = Stopwatch.StartNew();
            int thread = await device.RunInteractiveAsync(() => Environment.CurrentManagedThreadId);
            waits.Add(sw.Elapsed.TotalSeconds);
            Assert.Contains(thread, jobThreads);                 // ran on the device's thread, between steps
            Assert.Equal("cpu", await device.RunInteractiveAsync(() => DeviceScheduler.CurrentDevice));
            await Task.Delay(30);
        }
        Assert.Equal(30, await job);
        Assert.Single(jobThreads.Distinct());
        // A step is 50 ms: no request waited on the device much longer than one (scheduler noise allowed). The device's
        // own clock (queued to started) is asserted: the caller's round trip also holds the thread pool's dispatch of
        // its continuation, which took 0.7-1.3 s when this ran first in a busy 2-core test host.
        double longest = device.InteractiveWaits.Percentile(100)!.Value;
        Assert.True(longest < 0.5, $"longest device wait {longest * 1000:0} ms; round trips: {string.Join(", ", waits.Select(w => $"{w * 1000:0} ms"))}");
        Assert.True(device.InteractiveWaits.Percentile(95) <= 0.2, $"p95 wait {device.InteractiveWaits.Percentile(95)}");
        Assert.InRange(device.StepTimes.Percentile(50)!.Value, 0.045, 0.5);
    }

    [Fact]
    public async Task IdleDeviceRunsInteractiveWorkAtOnce_ErrorsReachTheCaller()
    {
        using var device = new DeviceScheduler("cpu");
        Assert.Equal(42, await device.RunInteractiveAsync(() => 42));
        await Assert.ThrowsAsync<InvalidDataException>(() => device.RunInteractiveAsync<int>(() => throw new InvalidDataException("bad file")));
        Assert.Throws<InvalidDataException>(() => device.RunJob<int>(_ => throw new InvalidDataException("bad job"), new RunContext()));
        Assert.Equal(1, await device.RunInteractiveAsync(() => 1));   // the device survives both
    }

    [Fact]
    public async Task AJobIsCancelledWithinAStep_AndOneSlotMeansOneJobAtATime()
    {
        using var device = new DeviceScheduler("cpu");
        using var cts = new CancellationTokenSource();
        var running = 0;
        var maxRunning = 0;
        int Tracked(RunContext ctx)
        {
            int now = Interlocked.Increment(ref running);
            lock (device) maxRunning = Math.Max(maxRunning, now);
            try { return Train(ctx, 5, 20); }
            finally { Interlocked.Decrement(ref running); }
        }
        var jobs = Enumerable.Range(0, 3).Select(_ => Task.Run(() => device.RunJob(Tracked, new RunContext()))).ToArray();
        await Task.WhenAll(jobs);
        Assert.Equal(1, maxRunning);
        cts.CancelAfter(100);
        var sw = Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => device.RunJob(ctx => Train(ctx, 1000, 20), new RunContext { Cancellation = cts.Token }));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }
}
