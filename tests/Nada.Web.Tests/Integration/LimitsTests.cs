using System.Net;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>Per-user queue limit and submission rate limit, on an app configured with small limits.</summary>
public sealed class LimitsTests : IDisposable
{
    private readonly NadaAppFactory _app = new(settings: new Dictionary<string, string>
    {
        ["Quotas:Roles:User:MaxQueued"] = "2",
        ["Limits:SubmissionsPerMinute"] = "3",
        ["Engine:FakeStepMilliseconds"] = "200",
        ["Limits:SamplesPerMinute"] = "3",
        ["Jobs:GpuCount"] = "2",
    });

    [Fact]
    public async Task QueueLimit_ThenRateLimit()
    {
        using var user = await _app.NewUserAsync("busy");
        var a = await user.SubmitAsync(ApiClient.Job(iterations: 500));
        var b = await user.SubmitAsync(ApiClient.Job(iterations: 500));
        var third = await user.PostJobAsync(ApiClient.Job(iterations: 500));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("limit is 2", await third.Content.ReadAsStringAsync());

        // Cancelling one frees a place in the queue, but the rate limit (3 a minute) still counts.
        Assert.Equal(HttpStatusCode.Accepted, (await user.Http.PostAsync($"/api/jobs/{a}/cancel", null)).StatusCode);
        await user.WaitForStatusAsync(a, JobStatus.Cancelled);
        var c = await user.SubmitAsync(ApiClient.Job(iterations: 500));
        foreach (var id in new[] { b, c })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await user.Http.PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode);
            await user.WaitForStatusAsync(id, JobStatus.Cancelled);
        }
        var fifth = await user.PostJobAsync(ApiClient.Job(iterations: 500));
        Assert.Equal(HttpStatusCode.TooManyRequests, fifth.StatusCode);
        Assert.Contains("in the last minute", await fifth.Content.ReadAsStringAsync());

        // Another user is not affected.
        using var other = await _app.NewUserAsync("calm");
        var quick = await other.SubmitAsync(ApiClient.Job(iterations: 2));
        var domain = (await other.WaitForStatusAsync(quick, JobStatus.Succeeded)).DomainId;

        // Sampling (GPU work with the real engine) is rate limited per user.
        for (var seed = 0; seed < 3; seed++)
            Assert.Equal(HttpStatusCode.OK, (await other.Http.GetAsync($"/files/domains/{domain}/samples/{seed}")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await other.Http.GetAsync($"/files/domains/{domain}/samples/9")).StatusCode);
    }

    [Fact]
    public async Task GpuQueue_HasOneWorkerPerConfiguredGpu()
    {
        var monitor = _app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        for (var i = 0; i < 50 && monitor.Servers().Count < 2; i++) await Task.Delay(100); // announced after start
        var server = Assert.Single(monitor.Servers(), s => s.Queues.Contains("gpu"));
        Assert.Equal(2, server.WorkersCount);
        Assert.Equal(["gpu"], server.Queues);
        // Model downloads have their own server and queue, so they never take a GPU worker.
        var downloads = Assert.Single(monitor.Servers(), s => s.Queues.Contains("downloads"));
        Assert.Equal(["downloads"], downloads.Queues);
    }

    public void Dispose() => _app.Dispose();
}
