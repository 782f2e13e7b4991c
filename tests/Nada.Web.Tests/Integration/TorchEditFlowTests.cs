using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Nada.Core.Adaptation;
using Nada.Core.Tests;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Edits;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Progress;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>The app with the TorchSharp engine on the tiny parity networks, shared by the editing tests.</summary>
public sealed class TorchEditApp : IAsyncLifetime
{
    public const string Generator = "tiny-stylegan2.pt";
    public const string Clip = "tiny-clip-vit.pt";

    public NadaAppFactory App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = NadaAppFactory.TorchOnTinyNetworks("torch-edit");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        TestPaths.TryDelete(App.DataDir);
    }

    /// <summary>A latent edit from a seed on the base model.</summary>
    public static SubmitEditDto SeedEdit(int steps, string text = "a smiling face", int previewEvery = 2) =>
        new("latent-edit", EditInput.ModelChoice(Generator), [Clip], text, EditSource.Seed, Seed: 3, Steps: steps, PreviewEvery: previewEvery);

    public static async Task<Guid> SubmitEditAsync(ApiClient c, SubmitEditDto dto)
    {
        var r = await c.Http.PostAsJsonAsync("/api/edits", dto, ApiClient.Json);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"submit edit: {r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }
}

/// <summary>
/// Editing in the web app with the real engine: a latent edit streams steps, CLIP scores and images over SignalR
/// and serves its files to the owner only; cancel stops it; a photo is inverted; its latent blends with a gallery
/// domain (alpha 0 = the source render, 1 = the domain's); bad uploads, empty text and a latent of another
/// generator get clear messages.
/// </summary>
public sealed class TorchEditFlowTests(TorchEditApp fixture) : IClassFixture<TorchEditApp>
{
    private NadaAppFactory App => fixture.App;

    [Fact]
    public async Task LatentEdit_StreamsImages_AndServesResultsToTheOwnerOnly()
    {
        using var alice = await App.NewUserAsync("alice");
        using var bob = await App.NewUserAsync("bob");
        var jobId = await TorchEditApp.SubmitEditAsync(alice, TorchEditApp.SeedEdit(steps: 6));

        var steps = new ConcurrentBag<StepMessage>();
        var previews = new ConcurrentBag<PreviewMessage>();
        var finished = new TaskCompletionSource<StatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = alice.Hub();
        hub.On<StepMessage>("step", steps.Add);
        hub.On<PreviewMessage>("preview", previews.Add);
        hub.On<StatusMessage>("status", s => { if (s.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled) finished.TrySetResult(s); });
        await hub.StartAsync();
        var joined = await hub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null);
        Assert.Equal(6, joined.TotalSteps);
        if (joined.Status is JobStatus.Succeeded or JobStatus.Failed)
            finished.TrySetResult(new StatusMessage(jobId, joined.Status, joined.Error, joined.DomainId));

        var done = await finished.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var status = await alice.GetJobAsync(jobId);
        Assert.True(done.Status == JobStatus.Succeeded, $"edit ended {done.Status}: {status?.Error}\n{App.ServerLog}");
        Assert.Equal(Enumerable.Range(1, 6), status!.Losses.Select(l => l.Step).Order());
        Assert.All(status.Losses, l => Assert.InRange(l.Losses[Nada.Core.Editing.EditProgress.ClipScoreName], -1.0, 1.0));
        var previewSteps = previews.Select(p => p.Step).Concat(joined.Previews.Select(p => p.Step)).ToHashSet();
        Assert.True(previewSteps.Count >= 2, $"images streamed at steps {string.Join(",", previewSteps)}");
        var png = await alice.Http.GetByteArrayAsync(previews.Select(p => p.Url).Concat(status.Previews.Select(p => p.Url)).First());
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);

        var edit = await alice.Http.GetFromJsonAsync<EditSummaryDto>($"/api/edits/{jobId}", ApiClient.Json);
        Assert.Equal("latent-edit", edit!.Kind);
        Assert.Equal(["image", "latent", "start", "strip"], edit.Files.Keys.Order());
        Assert.NotNull(edit.FinalScore);
        foreach (var (name, url) in edit.Files)
        {
            var own = await alice.Http.GetAsync(url);
            Assert.True(own.StatusCode == HttpStatusCode.OK, $"{name}: {own.StatusCode}");
            Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(url)).StatusCode);
        }
        var latent = await alice.Http.GetByteArrayAsync(edit.Files["latent"]);
        Assert.Equal((byte)'{', latent[8]);   // safetensors: 8-byte header length, then JSON
        Assert.Contains(await alice.Http.GetFromJsonAsync<List<EditSummaryDto>>("/api/edits", ApiClient.Json) ?? [], e => e.Id == jobId);
        Assert.DoesNotContain(await bob.Http.GetFromJsonAsync<List<EditSummaryDto>>("/api/edits", ApiClient.Json) ?? [], e => e.Id == jobId);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/edits/{jobId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/jobs/{jobId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/edits/{jobId}/render")).StatusCode);
        await using var bobHub = bob.Hub();
        await bobHub.StartAsync();
        await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null));
    }

    [Fact]
    public async Task Cancel_StopsARunningEdit()
    {
        using var alice = await App.NewUserAsync("carol");
        var jobId = await TorchEditApp.SubmitEditAsync(alice, TorchEditApp.SeedEdit(steps: 2000, previewEvery: 100));
        await alice.WaitForAsync(jobId, j => j.Step >= 1, timeoutSeconds: 60);
        Assert.Equal(HttpStatusCode.Accepted, (await alice.Http.PostAsync($"/api/jobs/{jobId}/cancel", null)).StatusCode);
        var cancelled = await alice.WaitForStatusAsync(jobId, JobStatus.Cancelled, timeoutSeconds: 30);
        await Task.Delay(500);
        var after = await alice.GetJobAsync(jobId);
        Assert.True(after!.Step < 2000, $"ran to step {after.Step}");
        Assert.Equal(cancelled.Step, after.Step);   // no step after the cancel landed
        var edit = await alice.Http.GetFromJsonAsync<EditSummaryDto>($"/api/edits/{jobId}", ApiClient.Json);
        Assert.DoesNotContain("latent", edit!.Files.Keys);
    }

    [Fact]
    public async Task PhotoInvert_ThenBlend_AlphaZeroIsTheSource_AlphaOneIsTheDomain()
    {
        using var alice = await App.NewUserAsync("dave");
        // A gallery domain of the same base model: a short real adaptation.
        var adaptId = await alice.SubmitAsync(new SubmitJobDto(TorchEditApp.Generator, [TorchEditApp.Clip], "photo", "sketch", 3,
            Options: new AdaptationOptions { SampleEvery = 3, CheckpointEvery = 3, PreviewSamples = 1 }));
        var photo = new StyleImageDto("me.png", Convert.ToBase64String(TestImages.Png(40, 48)));
        var invertId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("photo-invert", EditInput.ModelChoice(TorchEditApp.Generator),
            Photo: photo, Steps: 5, PreviewEvery: 2));
        var inverted = await alice.WaitForAsync(invertId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 90);
        Assert.True(inverted.Status == JobStatus.Succeeded, $"inversion: {inverted.Status} {inverted.Error}\n{App.ServerLog}");
        Assert.Equal(Enumerable.Range(1, 5), inverted.Losses.Select(l => l.Step).Order());
        Assert.True(inverted.Previews.Count >= 2, $"previews: {inverted.Previews.Count}");
        var adapted = await alice.WaitForAsync(adaptId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 90);
        Assert.True(adapted.Status == JobStatus.Succeeded, $"adaptation: {adapted.Status} {adapted.Error}\n{App.ServerLog}");
        var domain = adapted.DomainId!.Value;

        var edit = await alice.Http.GetFromJsonAsync<EditSummaryDto>($"/api/edits/{invertId}", ApiClient.Json);
        Assert.Equal("photo-invert", edit!.Kind);
        Assert.Contains("latent", edit.Files.Keys);
        Assert.Contains("strip", edit.Files.Keys);
        // The uploaded photo as stored (a PNG of its own size), for its owner only.
        var stored = await alice.Http.GetByteArrayAsync(edit.Files["photo"]);
        Assert.Equal((40, 48), (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stored.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stored.AsSpan(20))));
        using (var bob = await App.NewUserAsync("dave-neighbour"))
            Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(edit.Files["photo"])).StatusCode);

        async Task<byte[]> Png(string url)
        {
            var r = await alice.Http.GetAsync(url);
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{url}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            return await r.Content.ReadAsByteArrayAsync();
        }
        var source = await Png($"/api/edits/{invertId}/render");
        var onDomain = await Png($"/api/edits/{invertId}/render?on={domain}");
        var alpha0 = await Png($"/api/edits/{invertId}/render?alpha=0&domainIds={domain}");
        var alpha1 = await Png($"/api/edits/{invertId}/render?alpha=1&domainIds={domain}");
        var alphaHalf = await Png($"/api/edits/{invertId}/render?alpha=0.5&domainIds={domain}");
        Assert.Equal(source, alpha0);
        Assert.Equal(onDomain, alpha1);
        Assert.NotEqual(source, onDomain);   // the adaptation changed the generator
        Assert.NotEqual(source, alphaHalf);
        Assert.NotEqual(onDomain, alphaHalf);
        Assert.Equal(await Png(edit.Files["image"]), source);   // the job's reconstruction is the source render

        var bad = await alice.Http.GetAsync($"/api/edits/{invertId}/render?alpha=2&domainIds={domain}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("between 0 and 1", await bad.Content.ReadAsStringAsync());

        // An edit on the domain from the photo's latent (made with its base model) is accepted ...
        var onDomainEdit = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("latent-edit", EditInput.DomainChoice(domain), [TorchEditApp.Clip],
            "a smiling face", EditSource.Latent, LatentJobId: invertId, Steps: 2, PreviewEvery: 1));
        var domainEdit = await alice.WaitForAsync(onDomainEdit, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 60);
        Assert.True(domainEdit.Status == JobStatus.Succeeded, $"edit on the domain: {domainEdit.Status} {domainEdit.Error}\n{App.ServerLog}");
        // ... but that edit's latent (made with the domain) is refused by the base model, naming both generators.
        var mismatchId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("latent-edit", EditInput.ModelChoice(TorchEditApp.Generator), [TorchEditApp.Clip],
            "a smiling face", EditSource.Latent, LatentJobId: onDomainEdit, Steps: 2));
        var mismatch = await alice.WaitForAsync(mismatchId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 60);
        Assert.Equal(JobStatus.Failed, mismatch.Status);
        Assert.Contains("was made with generator", mismatch.Error);
        Assert.Contains(TorchEditApp.Generator, mismatch.Error);
        Assert.Contains("generator.safetensors", mismatch.Error);
        Assert.DoesNotContain(App.DataDir, mismatch.Error);   // no server paths in messages
    }

    [Fact]
    public async Task EditFromAPhoto_ShowsTheInversionThenTheEdit()
    {
        using var alice = await App.NewUserAsync("frank");
        var photo = new StyleImageDto("me.jpg", Convert.ToBase64String(TestImages.Jpeg(50, 40)));
        var jobId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("latent-edit", EditInput.ModelChoice(TorchEditApp.Generator), [TorchEditApp.Clip],
            "a smiling face", EditSource.Photo, Photo: photo, Steps: 3, InversionSteps: 4, PreviewEvery: 2));
        var done = await alice.WaitForAsync(jobId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 60);
        Assert.True(done.Status == JobStatus.Succeeded, $"{done.Status}: {done.Error}\n{App.ServerLog}");
        Assert.Equal(7, done.TotalSteps);
        Assert.Equal(Enumerable.Range(1, 7), done.Losses.Select(l => l.Step));
        Assert.All(done.Losses.Take(4), l => Assert.DoesNotContain(Nada.Core.Editing.EditProgress.ClipScoreName, l.Losses.Keys));   // inversion
        Assert.All(done.Losses.Skip(4), l => Assert.Contains(Nada.Core.Editing.EditProgress.ClipScoreName, l.Losses.Keys));         // edit
        var edit = await alice.Http.GetFromJsonAsync<EditSummaryDto>($"/api/edits/{jobId}", ApiClient.Json);
        Assert.Equal(["image", "latent", "photo", "start", "strip"], edit!.Files.Keys.Order());   // the photo it started from too
    }

    [Fact]
    public async Task BadInput_GetsClearMessages()
    {
        using var alice = await App.NewUserAsync("erin");
        async Task<string> Refused(SubmitEditDto dto, string field)
        {
            var r = await alice.Http.PostAsJsonAsync("/api/edits", dto, ApiClient.Json);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{r.StatusCode} {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty(field)[0].GetString()!;
        }
        SubmitEditDto Invert(byte[] bytes, string name = "me.png") =>
            new("photo-invert", EditInput.ModelChoice(TorchEditApp.Generator), Photo: new StyleImageDto(name, Convert.ToBase64String(bytes)), Steps: 5);

        Assert.Contains("describe the image you want", await Refused(TorchEditApp.SeedEdit(5, text: "  "), "Text"));
        Assert.Contains("is not an image", await Refused(Invert("hello, not a picture"u8.ToArray(), "notes.png"), "Photo"));
        Assert.Contains("'empty.png' is empty", await Refused(Invert([], "empty.png"), "Photo"));
        byte[] corrupt = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        Assert.Contains("is not an image", await Refused(Invert(corrupt, "broken.png"), "Photo"));
        Assert.Contains("100000x100000 pixels", await Refused(Invert(TestImages.PngBomb(), "bomb.png"), "Photo"));
        Assert.Contains("Upload a photo", await Refused(new SubmitEditDto("photo-invert", EditInput.ModelChoice(TorchEditApp.Generator), Steps: 5), "Photo"));
        Assert.Contains("Unknown base generator", await Refused(TorchEditApp.SeedEdit(5) with { Generator = "model:nope.pt" }, "Generator"));
        Assert.Contains("not yours", await Refused(TorchEditApp.SeedEdit(5) with { Generator = EditInput.DomainChoice(Guid.NewGuid()) }, "Generator"));
        Assert.Contains("not yours", await Refused(TorchEditApp.SeedEdit(5) with { Source = EditSource.Latent, LatentJobId = Guid.NewGuid() }, "LatentJobId"));
        Assert.Contains("learning rate", await Refused(TorchEditApp.SeedEdit(5) with { LearningRate = 5 }, "LearningRate"));
        var listed = await alice.Http.GetFromJsonAsync<List<EditSummaryDto>>("/api/edits", ApiClient.Json);
        Assert.NotNull(listed);
        Assert.Empty(listed);   // nothing refused was queued
    }
}
