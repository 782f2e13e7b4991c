using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Nada.Core.Adaptation;
using Nada.Core.Scheduling;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Interactive work while a job trains (real engine, tiny networks, CPU): a sample request goes through the device
/// broker and waits at most about one training step; the job goes on and finishes.
/// </summary>
public sealed class InteractiveLatencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SamplingWhileTraining_WaitsAboutOneStep()
    {
        await using var app = NadaAppFactory.TorchOnTinyNetworks("latency");
        using var alice = await app.NewUserAsync("alice");
        var options = new AdaptationOptions { SampleEvery = 100, CheckpointEvery = 100, PreviewSamples = 1 };
        var first = await alice.SubmitAsync(new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", 2, Options: options));
        var domain = (await alice.WaitForStatusAsync(first, JobStatus.Succeeded, timeoutSeconds: 120)).DomainId!.Value;

        async Task<double> Sample(int seed)
        {
            var sw = Stopwatch.StartNew();
            var r = await alice.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { seed }, truncationPsi = 0.7 });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return sw.Elapsed.TotalSeconds;
        }
        var idle = new List<double>();
        for (int i = 0; i < 8; i++) idle.Add(await Sample(i));

        var broker = app.Services.GetRequiredService<GpuBroker>();
        broker.Devices[0].InteractiveWaits.Clear();
        var job = await alice.SubmitAsync(new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", 400, Options: options));
        await alice.WaitForAsync(job, j => j.Step >= 3, timeoutSeconds: 120);
        var busy = new List<double>();
        for (int i = 0; i < 20; i++) busy.Add(await Sample(100 + i));
        var load = broker.Load()[0];
        var jobState = await alice.GetJobAsync(job);
        Assert.Equal(JobStatus.Running, jobState!.Status);   // the job was training all along
        await alice.Http.PostAsync($"/api/jobs/{job}/cancel", null);

        double P95(List<double> xs) => xs.Order().ElementAt((int)Math.Ceiling(0.95 * xs.Count) - 1);
        output.WriteLine($"sample request latency, idle: p50 {idle.Order().ElementAt(idle.Count / 2) * 1000:0} ms, p95 {P95(idle) * 1000:0} ms; " +
                         $"while training: p50 {busy.Order().ElementAt(busy.Count / 2) * 1000:0} ms, p95 {P95(busy) * 1000:0} ms; " +
                         $"broker wait p95 {load.InteractiveWaitP95Seconds * 1000:0} ms, training step p95 {load.StepP95Seconds * 1000:0} ms");
        Assert.NotNull(load.InteractiveWaitP95Seconds);
        Assert.NotNull(load.StepP95Seconds);
        // Waiting for the device takes at most about one step (the step in progress when the request came).
        Assert.True(load.InteractiveWaitP95Seconds <= 1.5 * load.StepP95Seconds + 0.05,
            $"broker wait p95 {load.InteractiveWaitP95Seconds:F3} s against a step p95 of {load.StepP95Seconds:F3} s");
    }
}
