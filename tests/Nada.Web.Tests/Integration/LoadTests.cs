using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Sampling under load (real server process, real engine, tiny networks): many sample requests at once go through the
/// device broker and are awaited, not blocked on, so the rest of the site stays quick. <c>NADA_LOAD_REQUESTS</c> sets
/// the count (CI: 300; the figures in the README were taken with 1000 and 10000).
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SamplingLoad_DoesNotStarveTheSite_AndMemorySettles()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("NADA_LOAD_REQUESTS"), out var n) ? n : 300;
        var data = TestPaths.NewTempDir("load");
        try
        {
            Directory.CreateDirectory(Path.Combine(data, "models", "generators"));
            Directory.CreateDirectory(Path.Combine(data, "models", "clip"));
            File.Copy(Nada.Core.Tests.ParityFiles.File("stylegan2_rosinality.pt"), Path.Combine(data, "models", "generators", "tiny-stylegan2.pt"));
            File.Copy(Nada.Core.Tests.ParityFiles.File("clip_openai_tiny_vit.pt"), Path.Combine(data, "models", "clip", "tiny-clip-vit.pt"));
            await using var server = await ServerProcess.StartAsync(data, new Dictionary<string, string> { ["Limits:SamplesPerMinute"] = "1000000" });
            using var user = server.NewClient();
            await user.RegisterAndLoginAsync($"load-{Guid.NewGuid():N}@nada.test", "User-pass-1");
            var options = new AdaptationOptions { SampleEvery = 10, CheckpointEvery = 10, PreviewSamples = 1 };
            var job = await user.SubmitAsync(new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", 2, Options: options));
            var domain = (await user.WaitForStatusAsync(job, JobStatus.Succeeded, timeoutSeconds: 120)).DomainId!.Value;

            async Task<List<double>> Me(int times)
            {
                var list = new List<double>();
                for (int i = 0; i < times; i++)
                {
                    var sw = Stopwatch.StartNew();
                    Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/api/auth/me")).StatusCode);
                    list.Add(sw.Elapsed.TotalMilliseconds);
                    await Task.Delay(20);
                }
                return list;
            }
            var meIdle = await Me(30);
            // Warm up the sampler, then measure memory from here.
            for (int i = 0; i < 20; i++) await user.Http.GetAsync($"/files/domains/{domain}/samples/{i}");
            long rssBefore = server.RssBytes ?? 0;

            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            int next = 0, failures = 0;
            var clock = Stopwatch.StartNew();
            async Task Worker()
            {
                using var c = new HttpClient(new HttpClientHandler { CookieContainer = user.Cookies }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
                int i;
                while ((i = Interlocked.Increment(ref next)) <= count)
                {
                    var sw = Stopwatch.StartNew();
                    var r = await c.GetAsync($"/files/domains/{domain}/samples/{i % 5000}");
                    if (r.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref failures);
                    latencies.Add(sw.Elapsed.TotalMilliseconds);
                }
            }
            var load = Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Worker()));
            var meBusy = await Me(30);
            await load;
            double seconds = clock.Elapsed.TotalSeconds;
            long rssAfter = server.RssBytes ?? 0;

            static double P(IEnumerable<double> xs, double p) { var s = xs.Order().ToArray(); return s[Math.Clamp((int)Math.Ceiling(p / 100 * s.Length) - 1, 0, s.Length - 1)]; }
            output.WriteLine($"{count} sample requests, 16 at a time: {count / seconds:F1} req/s, p50 {P(latencies, 50):F0} ms, p95 {P(latencies, 95):F0} ms, failures {failures}; " +
                             $"/api/auth/me p50 idle {P(meIdle, 50):F1} ms, under sampling load {P(meBusy, 50):F1} ms (p95 {P(meBusy, 95):F1} ms); " +
                             $"RSS {rssBefore >> 20} MiB before, {rssAfter >> 20} MiB after");
            Assert.Equal(0, failures);
            // The site stays responsive while the GPU (here: the CPU) is busy with sampling.
            Assert.True(P(meBusy, 50) < 150, $"/api/auth/me p50 under load: {P(meBusy, 50):F0} ms");
        }
        finally
        {
            TestPaths.TryDelete(data);
        }
    }
}
