using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// The job platform with the fake engine on one slot: fair shares between users, priorities, queue positions and
/// start estimates, per-role limits and daily GPU quotas, health endpoints.
/// </summary>
public sealed class PlatformTests
{
    /// <summary>Job ids in the order the engine started them.</summary>
    private static List<Guid> StartOrder(NadaAppFactory app) =>
        app.Engine.Calls.Select(c => Guid.ParseExact(Path.GetFileName(c.OutputDirectory), "N")).Distinct().ToList();

    [Fact]
    public async Task FairShare_FiveJobsOfOneUser_DoNotHoldBackAnothersOne()
    {
        await using var app = new NadaAppFactory(settings: new Dictionary<string, string> { ["Engine:FakeStepMilliseconds"] = "60" });
        using var alice = await app.NewUserAsync("alice");
        using var bob = await app.NewUserAsync("bob");
        var aliceJobs = new List<Guid>();
        for (int i = 0; i < 5; i++) aliceJobs.Add(await alice.SubmitAsync(ApiClient.Job(iterations: 6)));
        await alice.WaitForStatusAsync(aliceJobs[0], JobStatus.Running);
        var bobJob = await bob.SubmitAsync(ApiClient.Job(iterations: 6));

        // While alice's first job runs, bob's is next in line: position 1, alice's others after it.
        var bobWaiting = await bob.GetJobAsync(bobJob);
        Assert.Equal(1, bobWaiting!.QueuePosition);
        Assert.NotNull(bobWaiting.EstimatedStart);
        Assert.Equal(2, (await alice.GetJobAsync(aliceJobs[1]))!.QueuePosition);

        await bob.WaitForStatusAsync(bobJob, JobStatus.Succeeded, timeoutSeconds: 60);
        await alice.WaitForStatusAsync(aliceJobs[4], JobStatus.Succeeded, timeoutSeconds: 60);
        Assert.Equal([aliceJobs[0], bobJob, aliceJobs[1], aliceJobs[2], aliceJobs[3], aliceJobs[4]], StartOrder(app));
    }

    [Fact]
    public async Task AnAdminsPriority_MovesAJobAhead_AndPositionsFollow()
    {
        await using var app = new NadaAppFactory(settings: new Dictionary<string, string> { ["Engine:FakeStepMilliseconds"] = "60" });
        using var carol = await app.NewUserAsync("carol");
        using var admin = await app.AdminAsync();
        var jobs = new List<Guid>();
        for (int i = 0; i < 4; i++) jobs.Add(await carol.SubmitAsync(ApiClient.Job(iterations: 8)));
        await carol.WaitForStatusAsync(jobs[0], JobStatus.Running);
        Assert.Equal(3, (await carol.GetJobAsync(jobs[3]))!.QueuePosition);

        var r = await admin.Http.PostAsJsonAsync($"/api/admin/jobs/{jobs[3]}/priority", new PriorityDto(10));
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        var moved = await carol.GetJobAsync(jobs[3]);
        Assert.Equal(1, moved!.QueuePosition);
        Assert.Equal(10, moved.Priority);
        Assert.Equal(2, (await carol.GetJobAsync(jobs[1]))!.QueuePosition);
        // Only admins set priorities, within bounds.
        Assert.Equal(HttpStatusCode.Forbidden, (await carol.Http.PostAsJsonAsync($"/api/admin/jobs/{jobs[1]}/priority", new PriorityDto(50))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsJsonAsync($"/api/admin/jobs/{jobs[1]}/priority", new PriorityDto(1000))).StatusCode);

        await carol.WaitForStatusAsync(jobs[2], JobStatus.Succeeded, timeoutSeconds: 60);
        Assert.Equal([jobs[0], jobs[3], jobs[1], jobs[2]], StartOrder(app));
    }

    [Fact]
    public async Task RoleLimits_QueueAndRunning_AndADailyGpuQuotaThatSaysWhenItResets()
    {
        await using var app = new NadaAppFactory(settings: new Dictionary<string, string> { ["Engine:FakeStepMilliseconds"] = "60" });
        using var admin = await app.AdminAsync();
        using var dana = await app.NewUserAsync("dana");
        using var erik = await app.NewUserAsync("erik");
        // A "Pro" role with a bigger queue; erik gets it.
        using (var scope = app.Services.CreateScope())
        {
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            await roles.CreateAsync(new IdentityRole("Pro"));
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var e = await users.FindByEmailAsync(erik.Email!);
            await users.AddToRoleAsync(e!, "Pro");
        }
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.PutAsJsonAsync("/api/admin/quotas/User", new RoleLimitsDto(2, 1, null))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.PutAsJsonAsync("/api/admin/quotas/Pro", new RoleLimitsDto(4, null, null))).StatusCode);
        var roleRows = await admin.Http.GetFromJsonAsync<List<Nada.Web.Jobs.RoleLimitsRow>>("/api/admin/quotas", ApiClient.Json);
        Assert.Contains(roleRows!, x => x.Role == "Pro" && x.MaxQueued == 4 && x.Customised);

        // dana (User): two at a time, then refused naming the limit.
        await dana.SubmitAsync(ApiClient.Job(iterations: 20));
        await dana.SubmitAsync(ApiClient.Job(iterations: 20));
        var third = await dana.PostJobAsync(ApiClient.Job(iterations: 20));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("limit is 2", await third.Content.ReadAsStringAsync());
        // erik (User and Pro): the more generous limit holds.
        for (int i = 0; i < 4; i++) await erik.SubmitAsync(ApiClient.Job(iterations: 2));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await erik.PostJobAsync(ApiClient.Job(iterations: 2))).StatusCode);
        var quota = await erik.Http.GetFromJsonAsync<QuotaDto>("/api/quota", ApiClient.Json);
        Assert.Equal(4, quota!.MaxQueued);
        Assert.Equal(0, quota.JobsLeft);

        // A daily GPU quota: once used up, submissions are refused until 00:00 UTC, and the message says when.
        using var fay = await app.NewUserAsync("fay");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Http.PutAsJsonAsync("/api/admin/quotas/User", new RoleLimitsDto(5, null, 0.005))).StatusCode);   // 0.3 s
        var first = await fay.SubmitAsync(ApiClient.Job(iterations: 10));
        await fay.WaitForStatusAsync(first, JobStatus.Succeeded, timeoutSeconds: 60);
        var refused = await fay.PostJobAsync(ApiClient.Job(iterations: 2));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var text = await refused.Content.ReadAsStringAsync();
        Assert.Contains("daily GPU quota", text);
        Assert.Contains("resets at 00:00 UTC, in", text);
        var fayQuota = await fay.Http.GetFromJsonAsync<QuotaDto>("/api/quota", ApiClient.Json);
        Assert.Equal(0, fayQuota!.GpuMinutesLeft);
        Assert.True(fayQuota.GpuMinutesToday > 0.005, $"GPU minutes recorded: {fayQuota.GpuMinutesToday}");
        Assert.True(fayQuota.ResetsAt > DateTimeOffset.UtcNow && fayQuota.ResetsAt <= DateTimeOffset.UtcNow.AddDays(1));

        // Admins see everyone's usage.
        var usage = await admin.Http.GetFromJsonAsync<List<Nada.Web.Jobs.UserUsageRow>>("/api/admin/usage", ApiClient.Json);
        Assert.Contains(usage!, u => u.Email == fay.Email && u.GpuSecondsToday > 0);
        Assert.Equal(HttpStatusCode.Forbidden, (await fay.Http.GetAsync("/api/admin/usage")).StatusCode);
    }

    [Fact]
    public async Task Health_LiveAndReady()
    {
        await using var app = new NadaAppFactory();
        using var anonymous = app.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/health/live")).StatusCode);
        var ready = await anonymous.Http.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        foreach (var check in new[] { "database", "job storage", "engine", "disk" }) Assert.Contains($"\"{check}\"", body);
    }
}
