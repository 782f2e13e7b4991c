using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Progress;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>The whole path of a user: sign up, submit, watch live, gallery, share; and what another user cannot do.</summary>
[Collection(AppCollection.Name)]
public sealed class FlowTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task SubmitWatchLive_GalleryAndShare_OthersLockedOut()
    {
        using var alice = await _app.NewUserAsync("alice");
        using var bob = await _app.NewUserAsync("bob");
        using var anonymous = _app.NewClient();

        // Slow the job enough that the hub client joins before most of it has run: 24 steps x 40 ms, a preview every 3.
        var jobId = await alice.SubmitAsync(ApiClient.Job(iterations: 24));

        var steps = new ConcurrentBag<StepMessage>();
        var previews = new ConcurrentBag<PreviewMessage>();
        var finished = new TaskCompletionSource<StatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = alice.Hub();
        hub.On<StepMessage>("step", steps.Add);
        hub.On<PreviewMessage>("preview", previews.Add);
        hub.On<StatusMessage>("status", s => { if (s.Status is JobStatus.Succeeded or JobStatus.Failed) finished.TrySetResult(s); });
        await hub.StartAsync();
        var joined = await hub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null);
        Assert.Equal(jobId, joined.JobId);

        var done = await finished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.NotNull(done.DomainId);

        // Live messages plus the history handed over at join time cover every step; at least two previews came live.
        var seen = steps.Select(s => s.Step).Concat(joined.Losses.Select(l => l.Step)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 24).ToHashSet(), seen);
        Assert.All(steps, s => Assert.True(s.Losses["total"] > 0));
        Assert.True(previews.Count >= 2, $"live previews: {previews.Count}");
        var lossesFalling = steps.OrderBy(s => s.Step).Select(s => s.Losses["directional"]).ToList();
        Assert.True(lossesFalling[0] > lossesFalling[^1]);

        // A preview is a PNG for the owner and nothing for someone else.
        var previewUrl = previews.OrderBy(p => p.Step).Last().Url;
        var png = await alice.Http.GetAsync(previewUrl);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, (await png.Content.ReadAsByteArrayAsync())[..4]);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(previewUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync(previewUrl)).StatusCode);

        // A late joiner (a reload) gets the whole history at once.
        var status = await alice.GetJobAsync(jobId);
        Assert.NotNull(status);
        Assert.Equal(JobStatus.Succeeded, status.Status);
        Assert.Equal(24, status.Losses.Count);
        Assert.Equal(8, status.Previews.Count);
        var domainId = status.DomainId!.Value;

        // The domain is in the owner's gallery, with its files.
        var mine = await alice.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json);
        var domain = Assert.Single(mine!, d => d.Id == domainId);
        Assert.Equal("pencil sketch", domain.TargetText);
        Assert.Equal("fake-ffhq-256.pkl", domain.BaseModel);
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync(domain.ThumbnailUrl)).StatusCode);
        var generator = await alice.Http.GetAsync(domain.GeneratorUrl);
        Assert.Equal(HttpStatusCode.OK, generator.StatusCode);
        Assert.Contains("pencil sketch", await generator.Content.ReadAsStringAsync());
        var samples = await alice.Http.PostAsJsonAsync($"/api/domains/{domainId}/samples", new { seeds = new[] { 7, 8 }, truncationPsi = 0.5 });
        Assert.Equal(HttpStatusCode.OK, samples.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await samples.Content.ReadAsStringAsync()).RootElement.GetArrayLength());

        // Bob sees none of it: job, domain, files, hub, cancel, share.
        Assert.Null(await bob.GetJobAsync(jobId));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/domains/{domainId}")).StatusCode);
        Assert.DoesNotContain(await bob.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json) ?? [], d => d.Id == domainId);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(domain.ThumbnailUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(domain.GeneratorUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsync($"/api/jobs/{jobId}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsync($"/api/domains/{domainId}/share", null)).StatusCode);
        await using (var bobHub = bob.Hub())
        {
            await bobHub.StartAsync();
            var e = await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null));
            Assert.Contains("not found", e.Message);
        }

        // Not shared yet: the anonymous client gets nothing.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.GetAsync($"/api/domains/{domainId}")).StatusCode);

        // Share: the link works signed out, for the API, the page, the files and the hub.
        var share = await alice.Http.PostAsync($"/api/domains/{domainId}/share", null);
        Assert.Equal(HttpStatusCode.OK, share.StatusCode);
        var token = JsonDocument.Parse(await share.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        Assert.Equal(43, token.Length);
        var shared = await anonymous.Http.GetFromJsonAsync<DomainDto>($"/api/share/{token}", ApiClient.Json);
        Assert.Equal(domainId, shared!.Id);
        Assert.Equal("", shared.Owner); // a share link does not reveal who made it
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(shared.ThumbnailUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(shared.GeneratorUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync($"/files/domains/{domainId}/samples/3?share={token}")).StatusCode);
        var page = await anonymous.Http.GetStringAsync($"/s/{token}");
        Assert.Contains("pencil sketch", page);
        Assert.DoesNotContain("alice-", page);
        await using (var sharedHub = anonymous.Hub(token))
        {
            await sharedHub.StartAsync();
            var history = await sharedHub.InvokeAsync<JobProgressDto>("JoinJob", jobId, token);
            Assert.Equal(24, history.Losses.Count);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync(history.Previews[0].Url)).StatusCode);
            // The token opens this job only.
            var otherJob = await bob.SubmitAsync(ApiClient.Job(iterations: 1));
            await Assert.ThrowsAsync<HubException>(() => sharedHub.InvokeAsync<JobProgressDto>("JoinJob", otherJob, token));
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/files/jobs/{otherJob}/previews/1?share={token}")).StatusCode);
        }

        // A forged token opens nothing.
        var forged = Nada.Web.Security.ShareTokens.New();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/api/share/{forged}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/files/domains/{domainId}/thumbnail?share={forged}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/api/share/{token[..^1]}x")).StatusCode);

        // Revoking closes the link at once.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"/api/domains/{domainId}/share")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/api/share/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync(shared.ThumbnailUrl)).StatusCode);
        Assert.DoesNotContain("pencil sketch", await anonymous.Http.GetStringAsync($"/s/{token}"));

        // The admin sees everything, the hub included.
        using var admin = await _app.AdminAsync();
        await using (var adminHub = admin.Hub())
        {
            await adminHub.StartAsync();
            Assert.Equal(24, (await adminHub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null)).Losses.Count);
        }
        Assert.NotNull(await admin.GetJobAsync(jobId));
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync($"/api/domains/{domainId}")).StatusCode);
    }

    [Fact]
    public async Task AdvancedOptions_ReachTheEngine_AndItsWarningsReachTheUser()
    {
        using var user = await _app.NewUserAsync("advanced");
        var options = new AdaptationOptions { Seed = 5, AutoLayerK = 4, BatchSize = 1 };
        var id = await user.SubmitAsync(ApiClient.Job(iterations: 3) with { Options = options });
        var done = await user.WaitForStatusAsync(id, JobStatus.Succeeded);
        Assert.Contains(done.Warnings, w => w.Contains("ignores the advanced options"));
        var call = Assert.Single(_app.Engine.Calls, c => c.OutputDirectory.Contains(id.ToString("N")));
        Assert.Equal(options, call.Options); // the engine got exactly what was submitted
    }

    [Fact]
    public async Task StyleImages_AreReencodedAsPng_AndUsedByTheRun()
    {
        using var user = await _app.NewUserAsync("styler");
        var jpeg = TestImages.Jpeg(40, 30);
        var id = await user.SubmitAsync(ApiClient.Job(iterations: 3, target: "", images: [new StyleImageDto("style.jpg", Convert.ToBase64String(jpeg))]));
        var done = await user.WaitForStatusAsync(id, JobStatus.Succeeded);
        Assert.NotNull(done.DomainId);
        var stored = Directory.GetFiles(Path.Combine(_app.DataDir, "runs", id.ToString("N"), "inputs"));
        var file = Assert.Single(stored);
        Assert.EndsWith(".png", file);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(file)[..4]);
    }
}
