using System.Net;
using System.Net.Http.Json;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>Owners delete their domains and jobs: rows, files and share links go; others cannot; live jobs are refused.</summary>
[Collection(AppCollection.Name)]
public sealed class DeleteTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task OwnerDeletesDomainAndJob_OthersCannot_LiveJobsAreRefused()
    {
        using var owner = await _app.NewUserAsync("deleter");
        using var other = await _app.NewUserAsync("stranger");
        var jobId = await owner.SubmitAsync(ApiClient.Job(iterations: 6));
        var done = await owner.WaitForStatusAsync(jobId, JobStatus.Succeeded);
        var domainId = done.DomainId!.Value;
        var share = await owner.ShareAsync(domainId);
        var domainDir = Path.Combine(_app.DataDir, "domains", domainId.ToString("N"));
        var runDir = Path.Combine(_app.DataDir, "runs", jobId.ToString("N"));
        Assert.True(Directory.Exists(domainDir));
        Assert.True(Directory.Exists(runDir));

        // Someone else's: 404, and nothing happens.
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/api/domains/{domainId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/api/jobs/{jobId}")).StatusCode);
        Assert.True(Directory.Exists(domainDir));

        // The owner deletes the domain: its folder and share link go; the job stays, without its domain.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/domains/{domainId}")).StatusCode);
        Assert.False(Directory.Exists(domainDir));
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"/api/share/{share}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.GetAsync($"/api/domains/{domainId}")).StatusCode);
        Assert.Null((await owner.GetJobAsync(jobId))!.DomainId);

        // Then the job: its run folder goes.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/jobs/{jobId}")).StatusCode);
        Assert.False(Directory.Exists(runDir));
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.GetAsync($"/api/jobs/{jobId}")).StatusCode);

        // A job that still runs is not deleted.
        var live = await owner.SubmitAsync(ApiClient.Job(iterations: 1000));
        await owner.WaitForAsync(live, j => j.Status == JobStatus.Running);
        Assert.Equal(HttpStatusCode.Conflict, (await owner.DeleteAsync($"/api/jobs/{live}")).StatusCode);
        await owner.Http.PostAsJsonAsync($"/api/jobs/{live}/cancel", new { });
        await owner.WaitForStatusAsync(live, JobStatus.Cancelled);
    }
}
