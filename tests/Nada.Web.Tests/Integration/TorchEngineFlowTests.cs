using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Progress;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// The app with the real TorchSharp engine on the tiny parity networks (CPU): submit -> the job trains -> a SignalR
/// client receives every step's losses and live previews -> the domain is in the gallery and samples by seed.
/// </summary>
public sealed class TorchEngineFlowTests : IAsyncLifetime
{
    private NadaAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("torch");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RealEngineTrainsStreamsAndLandsInTheGallery()
    {
        using var alice = await _app.NewUserAsync("alice");
        var options = new AdaptationOptions { SampleEvery = 3, CheckpointEvery = 3, PreviewSamples = 2 };
        var jobId = await alice.SubmitAsync(new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", 9, Options: options));

        var steps = new ConcurrentBag<StepMessage>();
        var previews = new ConcurrentBag<PreviewMessage>();
        var finished = new TaskCompletionSource<StatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = alice.Hub();
        hub.On<StepMessage>("step", steps.Add);
        hub.On<PreviewMessage>("preview", previews.Add);
        hub.On<StatusMessage>("status", s => { if (s.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled) finished.TrySetResult(s); });
        await hub.StartAsync();
        var joined = await hub.InvokeAsync<JobProgressDto>("JoinJob", jobId, null);
        if (joined.Status is JobStatus.Succeeded or JobStatus.Failed)
            finished.TrySetResult(new StatusMessage(jobId, joined.Status, joined.Error, joined.DomainId));

        var done = await finished.Task.WaitAsync(TimeSpan.FromMinutes(3));
        var status = await alice.GetJobAsync(jobId);
        Assert.True(done.Status == JobStatus.Succeeded, $"job ended {done.Status}: {status?.Error}\n{_app.ServerLog}");
        Assert.NotNull(status);
        Assert.Equal(Enumerable.Range(1, 9), status.Losses.Select(l => l.Step).Order());
        Assert.All(status.Losses, l => Assert.InRange(l.Losses["directional"], 0.0, 2.0));
        var seen = steps.Select(s => s.Step).Concat(joined.Losses.Select(l => l.Step)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 9).ToHashSet(), seen);
        Assert.True(status.Previews.Count >= 2, $"previews: {status.Previews.Count}");

        var png = await alice.Http.GetAsync(status.Previews.Last().Url);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, (await png.Content.ReadAsByteArrayAsync())[..4]);

        var domainId = status.DomainId!.Value;
        var mine = await alice.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json);
        var domain = Assert.Single(mine!, d => d.Id == domainId);
        Assert.Equal("sketch", domain.TargetText);
        var samples = await alice.Http.PostAsJsonAsync($"/api/domains/{domainId}/samples", new { seeds = new[] { 1, 2 }, truncationPsi = 0.7 });
        Assert.Equal(HttpStatusCode.OK, samples.StatusCode);
        var generator = await alice.Http.GetAsync(domain.GeneratorUrl);
        Assert.Equal(HttpStatusCode.OK, generator.StatusCode);
        var bytes = await generator.Content.ReadAsByteArrayAsync();
        Assert.Equal((byte)'{', bytes[8]);   // a safetensors file: 8-byte header length, then the JSON header
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        TestPaths.TryDelete(_app.DataDir);
    }
}
