using Nada.Web.Data;
using Nada.Web.Jobs;

namespace Nada.Web.Tests.Jobs;

/// <summary>The fair-share rule on its own: order, limits, and the forecast that gives positions and start estimates.</summary>
public sealed class FairShareQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static QueuedJob Job(string owner, int minute, int priority = 0, int steps = 10) =>
        new(Guid.NewGuid(), owner, priority, T0.AddMinutes(minute), JobKind.Adaptation, steps);

    private static Func<string, UserShare> Shares(Dictionary<string, double>? recent = null, int? maxRunning = null, Dictionary<string, DateTimeOffset>? outOfQuota = null) =>
        u => new UserShare(recent?.GetValueOrDefault(u) ?? 0, maxRunning, outOfQuota is not null && outOfQuota.TryGetValue(u, out var r) ? r : null);

    [Fact]
    public void OneUser_IsFirstComeFirstServed()
    {
        var jobs = new[] { Job("a", 3), Job("a", 1), Job("a", 2) };
        var order = FairShareQueue.Candidates(jobs, new Dictionary<string, int>(), Shares(), T0);
        Assert.Equal(jobs.OrderBy(j => j.CreatedAt).Select(j => j.Id), order.Select(j => j.Id));
    }

    [Fact]
    public void TheUserWithLessRecentGpuTime_GoesFirst_ThenPriorityBeatsBoth()
    {
        var a = Job("a", 0);
        var b = Job("b", 5);
        var shares = Shares(new Dictionary<string, double> { ["a"] = 600, ["b"] = 10 });
        Assert.Equal([b.Id, a.Id], FairShareQueue.Candidates([a, b], new Dictionary<string, int>(), shares, T0).Select(j => j.Id));
        var urgent = a with { Priority = 5 };
        Assert.Equal([urgent.Id, b.Id], FairShareQueue.Candidates([urgent, b], new Dictionary<string, int>(), shares, T0).Select(j => j.Id));
    }

    [Fact]
    public void UsersAtTheirRunningLimit_OrOutOfQuota_Wait()
    {
        var a = Job("a", 0);
        var b = Job("b", 1);
        var c = Job("c", 2);
        var order = FairShareQueue.Candidates([a, b, c], new Dictionary<string, int> { ["a"] = 1 },
            Shares(maxRunning: 1, outOfQuota: new Dictionary<string, DateTimeOffset> { ["b"] = T0.AddHours(3) }), T0);
        Assert.Equal([c.Id], order.Select(j => j.Id));
    }

    [Fact]
    public void Forecast_FiveOfOneUserAndOneOfAnother_TheOtherStartsSecond()
    {
        // A queued five, B one a minute later; one slot, nothing running, no one has used the GPU yet.
        var a = Enumerable.Range(0, 5).Select(i => Job("a", i)).ToList();
        var b = Job("b", 10);
        var forecast = FairShareQueue.Forecast([.. a, b], [], Shares(), slots: 1, _ => 1.0, T0);
        Assert.Equal([a[0].Id, b.Id, a[1].Id, a[2].Id, a[3].Id, a[4].Id], forecast.Select(f => f.JobId));
        Assert.Equal([1, 2, 3, 4, 5, 6], forecast.Select(f => f.Position));
        // Each job is 10 steps at 1 s/step: starts every 10 s.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => T0.AddSeconds(10 * i)), forecast.Select(f => f.EstimatedStart));
    }

    [Fact]
    public void Forecast_CountsRunningJobsAndSlots()
    {
        var running = new RunningJob(Guid.NewGuid(), "a", JobKind.Adaptation, TotalSteps: 100, StepsDone: 40);   // 60 s left
        var q1 = Job("b", 0);
        var q2 = Job("c", 1);
        var forecast = FairShareQueue.Forecast([q1, q2], [running], Shares(), slots: 2, _ => 1.0, T0);
        Assert.Equal(T0, forecast.Single(f => f.JobId == q1.Id).EstimatedStart);                  // the free slot
        Assert.Equal(T0.AddSeconds(10), forecast.Single(f => f.JobId == q2.Id).EstimatedStart);   // after q1 (10 s), before the running job ends
    }

    [Fact]
    public void Forecast_AJobOutOfQuotaStartsAtTheReset_AndMaxRunningHoldsTheSecond()
    {
        var reset = T0.AddHours(2);
        var a = Job("a", 0);
        var b1 = Job("b", 1);
        var b2 = Job("b", 2);
        var forecast = FairShareQueue.Forecast([a, b1, b2], [], Shares(maxRunning: 1, outOfQuota: new Dictionary<string, DateTimeOffset> { ["a"] = reset }),
            slots: 2, _ => 1.0, T0).ToDictionary(f => f.JobId);
        Assert.Equal(T0, forecast[b1.Id].EstimatedStart);
        Assert.Equal(T0.AddSeconds(10), forecast[b2.Id].EstimatedStart);   // b may run one at a time
        Assert.Equal(reset, forecast[a.Id].EstimatedStart);
    }
}
