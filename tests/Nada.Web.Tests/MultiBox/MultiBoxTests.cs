using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Progress;
using Nada.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Web.Tests.MultiBox;

/// <summary>
/// Several boxes as one site, with real servers: PostgreSQL (database and Hangfire storage), Redis (SignalR backplane
/// and the bus between boxes), and real NadaWeb processes sharing one data folder: a web-only box A, a box B that
/// trains and serves pages, then a training-only box C with the real engine on the tiny networks.
/// </summary>
[Collection(nameof(MultiBoxCollection))]
public sealed class MultiBoxTests(ITestOutputHelper output) : IDisposable
{
    private readonly PostgresServer _pg = PostgresServer.Start();
    private readonly RedisServer _redis = RedisServer.Start();
    private readonly string _data = TestPaths.NewTempDir("boxes");

    public void Dispose()
    {
        _redis.Dispose();
        _pg.Dispose();
        TestPaths.TryDelete(_data);
    }

    private Dictionary<string, string> Box(string name, string role, string db) => new()
    {
        ["Database:Provider"] = "postgres",
        ["Database:ConnectionString"] = db,
        ["Jobs:Storage"] = "postgres",
        ["Jobs:ConnectionString"] = db,
        ["Redis:Configuration"] = _redis.Configuration,
        ["Redis:ChannelPrefix"] = "site1",
        ["Jobs:Role"] = role,
        ["Jobs:GpuCount"] = role == "web" ? "0" : "1",
        ["Jobs:ServerName"] = name,
        ["Jobs:LeaseSeconds"] = "6",
        ["Jobs:HeartbeatSeconds"] = "0.5",
        ["Jobs:SweepSeconds"] = "0.5",
    };

    private void CopyTinyModels()
    {
        Directory.CreateDirectory(Path.Combine(_data, "models", "generators"));
        Directory.CreateDirectory(Path.Combine(_data, "models", "clip"));
        File.Copy(Nada.Core.Tests.ParityFiles.File("stylegan2_rosinality.pt"), Path.Combine(_data, "models", "generators", "tiny-stylegan2.pt"));
        File.Copy(Nada.Core.Tests.ParityFiles.File("clip_openai_tiny_vit.pt"), Path.Combine(_data, "models", "clip", "tiny-clip-vit.pt"));
    }

    private static SubmitJobDto TinyJob(int iterations) => new("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", iterations,
        Options: new AdaptationOptions { SampleEvery = 4, CheckpointEvery = 4, PreviewSamples = 1 });

    private readonly List<(string Name, ServerProcess Box)> _boxes = [];

    private ServerProcess Keep(string name, ServerProcess box)
    {
        _boxes.Add((name, box));
        return box;
    }

    [Fact]
    public async Task WebBoxAndTrainingBoxes_OneSite_LiveViewThroughRedis_TakeOverAfterAKill_RedisOutage_DatabaseOutage()
    {
        try
        {
            await Scenario();
        }
        catch
        {
            // What each box logged (warnings and the engine's information), to see why without running it again.
            foreach (var (name, box) in _boxes)
            {
                var log = box.Log;
                output.WriteLine($"==== {name} (last 30000 characters of its log)\n{(log.Length > 30000 ? log[^30000..] : log)}");
            }
            throw;
        }
    }

    private async Task Scenario()
    {
        CopyTinyModels();
        var db = _pg.CreateDatabase("site");
        await using var a = Keep("box-a", await ServerProcess.StartAsync(_data, Box("box-a", "web", db)));
        await using var b = Keep("box-b", await ServerProcess.StartAsync(_data, Box("box-b", "both", db)));

        // Sign up and submit on A (which trains nothing); B trains; A's hub gets every step and preview through Redis.
        using var user = a.NewClient();
        await user.RegisterAndLoginAsync($"boxes-{Guid.NewGuid():N}@nada.test", "User-pass-1");
        var steps = new ConcurrentDictionary<int, StepMessage>();
        var previews = new ConcurrentBag<PreviewMessage>();
        var finished = new TaskCompletionSource<StatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = user.Hub();
        hub.On<StepMessage>("step", s => steps[s.Step] = s);
        hub.On<PreviewMessage>("preview", previews.Add);
        hub.On<StatusMessage>("status", s => { if (s.Status is JobStatus.Succeeded or JobStatus.Failed) finished.TrySetResult(s); });
        await hub.StartAsync();
        var first = await user.SubmitAsync(TinyJob(8));
        var joined = await hub.InvokeAsync<JobProgressDto>("JoinJob", first, null);
        var done = await finished.Task.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        var seen = steps.Keys.Concat(joined.Losses.Select(l => l.Step)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 8).ToHashSet(), seen);
        Assert.True(steps.Count >= 4, $"live steps on box A: {steps.Count}");
        Assert.NotEmpty(previews);
        var ran = await user.GetJobAsync(first);
        Assert.Equal(Enumerable.Range(1, 8), ran!.Losses.Select(l => l.Step));
        var domains = await user.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json);
        var domain = Assert.Single(domains!);
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync(domain.ThumbnailUrl)).StatusCode);

        // A share link made on A opens on B (B trains and serves pages too); B's admin queue page lists every box.
        var share = await user.Http.PostAsJsonAsync($"/api/domains/{domain.Id}/share", new { });
        var token = JsonDocument.Parse(await share.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using (var stranger = b.NewClient())
        {
            var shared = await stranger.Http.GetFromJsonAsync<DomainDto>($"/api/share/{token}", ApiClient.Json);
            Assert.Equal(domain.Id, shared!.Id);
            Assert.Equal(HttpStatusCode.OK, (await stranger.Http.GetAsync($"{domain.ThumbnailUrl}?share={Uri.EscapeDataString(token)}")).StatusCode);
            using var admin = b.NewClient();
            await admin.LoginAsync(NadaAppFactory.AdminEmail, NadaAppFactory.AdminPassword);
            var page = await admin.Http.GetStringAsync("/admin/queue");
            foreach (var box in new[] { "box-a", "box-b" }) Assert.Contains(box, page);
        }

        // B is killed mid-job; C takes over from the last checkpoint once B's lease runs out.
        var second = await user.SubmitAsync(TinyJob(24));
        await user.WaitForAsync(second, j => j.Step >= 9, timeoutSeconds: 180);
        b.Kill();
        await using var c = Keep("box-c", await ServerProcess.StartAsync(_data, Box("box-c", "train", db)));
        using (var onC = c.NewClient())
            Assert.Equal(HttpStatusCode.NotFound, (await onC.Http.GetAsync($"/api/share/{token}")).StatusCode);   // a training-only box serves no API
        var completed = await user.WaitForStatusAsync(second, JobStatus.Succeeded, timeoutSeconds: 300);
        Assert.Equal(Enumerable.Range(1, 24), completed.Losses.Select(l => l.Step));   // every step once
        var runJson = await File.ReadAllTextAsync(Path.Combine(_data, "runs", second.ToString("N"), "history.jsonl"));
        Assert.Equal(24, runJson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // Redis goes down mid-job and comes back: training goes on; the live view catches up.
        var third = await user.SubmitAsync(TinyJob(24));
        await user.WaitForAsync(third, j => j.Step >= 3, timeoutSeconds: 180);
        _redis.Stop();
        var during = await user.WaitForAsync(third, j => j.Step >= 10, timeoutSeconds: 180);   // A reads the shared run folder
        Assert.Equal(JobStatus.Running, during.Status);
        _redis.StartServer();
        var late = new ConcurrentDictionary<int, StepMessage>();
        await using var hub2 = user.Hub();
        hub2.On<StepMessage>("step", s => late[s.Step] = s);
        await hub2.StartAsync();
        var rejoined = await hub2.InvokeAsync<JobProgressDto>("JoinJob", third, null);
        Assert.Equal(Enumerable.Range(1, rejoined.Losses.Count), rejoined.Losses.Select(l => l.Step));   // no gap in the history
        var ended = await user.WaitForStatusAsync(third, JobStatus.Succeeded, timeoutSeconds: 300);
        Assert.Equal(Enumerable.Range(1, 24), ended.Losses.Select(l => l.Step));
        output.WriteLine($"after Redis returned: {late.Count} live steps reached box A's hub");

        // PostgreSQL goes down mid-job: the site says it is unavailable (a page for browsers, problem+json for the
        // API, /health/ready unhealthy); the job is not lost and the site recovers by itself when it is back.
        var fourth = await user.SubmitAsync(TinyJob(24));
        await user.WaitForAsync(fourth, j => j.Step >= 3, timeoutSeconds: 180);
        _pg.Stop();
        var api = await user.Http.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Contains("unavailable", await api.Content.ReadAsStringAsync());
        Assert.True(api.Headers.RetryAfter is not null, "Retry-After on the API answer");
        using (var html = new HttpRequestMessage(HttpMethod.Get, "/jobs"))
        {
            html.Headers.Accept.ParseAdd("text/html");
            var answer = await user.Http.SendAsync(html);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Contains("id=\"unavailable\"", body);
            Assert.Contains("Nothing is lost", body);
        }
        Assert.NotEqual(HttpStatusCode.OK, (await user.Http.GetAsync("/health/ready")).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(8));   // longer than a lease: nobody may take the job over meanwhile
        _pg.StartServer();
        var after = await user.WaitForStatusAsync(fourth, JobStatus.Succeeded, timeoutSeconds: 300);
        Assert.Equal(Enumerable.Range(1, 24), after.Losses.Select(l => l.Step));   // every step once
        var history = await File.ReadAllTextAsync(Path.Combine(_data, "runs", fourth.ToString("N"), "history.jsonl"));
        Assert.Equal(24, history.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/api/jobs")).StatusCode);
    }
}

/// <summary>Tests that start database servers and several app processes: one at a time.</summary>
[CollectionDefinition(nameof(MultiBoxCollection), DisableParallelization = true)]
public sealed class MultiBoxCollection;
