using System.Net;
using System.Net.Http.Json;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>Cancelling running and queued jobs, by their owner and by an admin; admin queue actions.</summary>
[Collection(AppCollection.Name)]
public sealed class CancelTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task OwnerCancelsRunning_AdminCancelsQueued_AdminRequeuesAndDeletes()
    {
        using var owner = await _app.NewUserAsync("canceller");
        using var admin = await _app.AdminAsync();

        // One GPU worker: the first long job runs, the second waits in the queue.
        var running = await owner.SubmitAsync(ApiClient.Job(iterations: 1000));
        var queued = await owner.SubmitAsync(ApiClient.Job(iterations: 1000, target: "watercolour"));
        // Past step 3, so the run has a checkpoint to resume from.
        await owner.WaitForAsync(running, j => j.Status == JobStatus.Running && j.Step >= 4);
        var waiting = await owner.GetJobAsync(queued);
        Assert.Equal(JobStatus.Queued, waiting!.Status);
        Assert.Equal(1, waiting.QueuePosition);

        // The admin cancels the queued job; it never starts.
        Assert.Equal(HttpStatusCode.Accepted, (await admin.Http.PostAsync($"/api/jobs/{queued}/cancel", null)).StatusCode);
        Assert.Equal(JobStatus.Cancelled, (await owner.GetJobAsync(queued))!.Status);

        // The owner cancels the running job; the engine stops within a step or two.
        var before = (await owner.GetJobAsync(running))!.Step;
        Assert.Equal(HttpStatusCode.Accepted, (await owner.Http.PostAsync($"/api/jobs/{running}/cancel", null)).StatusCode);
        var cancelled = await owner.WaitForStatusAsync(running, JobStatus.Cancelled, timeoutSeconds: 10);
        Assert.True(cancelled.Step < 1000);
        Assert.Null(cancelled.DomainId);
        await Task.Delay(300);
        var after = (await owner.GetJobAsync(running))!.Step;
        Assert.Equal(cancelled.Step, after);
        Assert.True(after - before < 40, $"ran on {after - before} steps after the cancel");

        // The admin re-queues the cancelled job: it runs again from its checkpoint, and is cancelled by the admin.
        Assert.Equal(HttpStatusCode.Accepted, (await admin.Http.PostAsync($"/api/admin/jobs/{running}/requeue", null)).StatusCode);
        await owner.WaitForAsync(running, j => j.Status == JobStatus.Running && j.Step > after);
        Assert.Contains(_app.Engine.Calls, c => c.OutputDirectory.Contains(running.ToString("N")) && c.Resume && c.StartStep > 0);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.Http.PostAsync($"/api/jobs/{running}/cancel", null)).StatusCode);
        await owner.WaitForStatusAsync(running, JobStatus.Cancelled, timeoutSeconds: 10);

        // Only the admin may delete; a deleted job is gone.
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.Http.DeleteAsync($"/api/admin/jobs/{queued}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.DeleteAsync($"/api/admin/jobs/{queued}")).StatusCode);
        Assert.Null(await owner.GetJobAsync(queued));
        var all = await admin.Http.GetFromJsonAsync<List<JobSummaryDto>>("/api/jobs?all=true", ApiClient.Json);
        Assert.Contains(all!, j => j.Id == running);
        Assert.DoesNotContain(all!, j => j.Id == queued);
    }
}

/// <summary>A run that throws: the job fails with the engine's message, and an admin can re-queue it.</summary>
[Collection(AppCollection.Name)]
public sealed class FailureTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task EngineError_FailsTheJobWithItsMessage_AdminRequeues()
    {
        using var user = await _app.NewUserAsync("failer");
        var id = await user.SubmitAsync(ApiClient.Job(iterations: 5, target: NadaAppFactory.FailText));
        var failed = await user.WaitForStatusAsync(id, JobStatus.Failed);
        Assert.Contains("told to fail", failed.Error);
        Assert.Null(failed.DomainId);

        using var admin = await _app.AdminAsync();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.Http.PostAsync($"/api/admin/jobs/{Guid.NewGuid()}/requeue", null)).StatusCode);
        var all = await admin.Http.GetFromJsonAsync<List<JobSummaryDto>>("/api/jobs?all=true", ApiClient.Json);
        Assert.Contains(all!, j => j.Id == id && j.Status == JobStatus.Failed && j.Error!.Contains("told to fail"));
        Assert.Equal(HttpStatusCode.Accepted, (await admin.Http.PostAsync($"/api/admin/jobs/{id}/requeue", null)).StatusCode);
        var again = await user.WaitForStatusAsync(id, JobStatus.Failed);
        Assert.Contains("told to fail", again.Error);
        Assert.Equal(2, _app.Engine.Calls.Count(c => c.OutputDirectory.Contains(id.ToString("N"))));
    }
}
