using System.Net;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>Per-user queue limit and submission rate limit, on an app configured with small limits.</summary>
public sealed class LimitsTests : IDisposable
{
    private readonly NadaAppFactory _app = new(settings: new Dictionary<string, string>
    {
        ["Limits:MaxQueuedPerUser"] = "2",
        ["Limits:SubmissionsPerMinute"] = "3",
        ["Engine:FakeStepMilliseconds"] = "200",
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
        await other.SubmitAsync(ApiClient.Job(iterations: 2));
    }

    public void Dispose() => _app.Dispose();
}
