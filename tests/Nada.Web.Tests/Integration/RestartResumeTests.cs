using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// With SQLite Hangfire storage, a job interrupted by a stop resumes from its checkpoint on the next start, once: also
/// when the start's recovery of the previous process's jobs comes late.
/// </summary>
public sealed class RestartResumeTests
{
    [Fact]
    public Task StopMidJob_NewHostOnSameData_ResumesFromCheckpoint() => StopMidJobThenResume(slowRecovery: false);

    /// <summary>
    /// The next start's recovery (which puts back what the stopped process left running) reaches the database only after
    /// the persistent job storage has handed the job's ticket to a worker, as it did on a busy machine: the job must
    /// still run once, not be put back by the recovery while it runs (it was: two runs, from step 5 and from step 20).
    /// </summary>
    [Fact]
    public Task ALateRecoveryAtStart_DoesNotPutBackTheJobThisProcessRuns() => StopMidJobThenResume(slowRecovery: true);

    private static async Task StopMidJobThenResume(bool slowRecovery)
    {
        var data = TestPaths.NewTempDir("restart");
        // The first host steps slowly, so its stop surely lands mid-run; the second finishes quickly (slowly enough,
        // with a late recovery, for the recovery to come while the job runs).
        var slow = new Dictionary<string, string>
        {
            ["Jobs:Storage"] = "sqlite",
            ["Engine:FakeStepMilliseconds"] = "200",
            ["Engine:FakePreviewEvery"] = "5",
        };
        var fast = new Dictionary<string, string>(slow) { ["Engine:FakeStepMilliseconds"] = slowRecovery ? "120" : "20" };
        Guid jobId;
        string email = $"restart-{Guid.NewGuid():N}@nada.test";
        using (var first = new NadaAppFactory(data, slow))
        {
            using var user = first.NewClient();
            await user.RegisterAndLoginAsync(email, "User-pass-1");
            jobId = await user.SubmitAsync(ApiClient.Job(iterations: 40));
            await user.WaitForAsync(jobId, j => j.Step >= 7);
            var call = Assert.Single(first.Engine.Calls);
            Assert.False(call.Resume);
        } // stops the host mid-job: Hangfire cancels the job and puts it back in its queue

        using var second = new NadaAppFactory(data, fast, slowRecovery ? SlowDatabaseAtStart.Install(TimeSpan.FromSeconds(2.5)) : null);
        using var again = second.NewClient();
        await again.LoginAsync(email, "User-pass-1");
        var done = await again.WaitForStatusAsync(jobId, JobStatus.Succeeded, timeoutSeconds: 60);
        Assert.NotNull(done.DomainId);
        var resumed = Assert.Single(second.Engine.Calls);
        Assert.True(resumed.Resume);
        Assert.True(resumed.StartStep >= 5, $"resumed from step {resumed.StartStep}");
        // The loss history spans both runs without gaps.
        Assert.Equal(Enumerable.Range(1, 40), done.Losses.Select(l => l.Step));
        await second.DisposeAsync();
        TestPaths.TryDelete(data);
    }
}
