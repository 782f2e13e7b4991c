using System.Diagnostics;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// A real server process killed with SIGKILL mid-job and started again on the same data: the running job resumes
/// from its last good checkpoint (falling back past a corrupt one) within seconds, the queued one runs, the history
/// has every step once, and the queue limit counts only live jobs. For the default in-memory job storage and SQLite.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Steps = 40;

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task KilledMidJob_TheNextStartResumesFromTheLastGoodCheckpoint(string storage)
    {
        var data = TestPaths.NewTempDir("crash");
        try
        {
            Directory.CreateDirectory(Path.Combine(data, "models", "generators"));
            Directory.CreateDirectory(Path.Combine(data, "models", "clip"));
            File.Copy(Nada.Core.Tests.ParityFiles.File("stylegan2_rosinality.pt"), Path.Combine(data, "models", "generators", "tiny-stylegan2.pt"));
            File.Copy(Nada.Core.Tests.ParityFiles.File("clip_openai_tiny_vit.pt"), Path.Combine(data, "models", "clip", "tiny-clip-vit.pt"));
            var settings = new Dictionary<string, string> { ["Jobs:Storage"] = storage, ["Quotas:Roles:User:MaxQueued"] = "2" };
            var options = new AdaptationOptions { SampleEvery = 10, CheckpointEvery = 5, PreviewSamples = 1 };
            var job = new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", Steps, Options: options);
            string email = $"crash-{Guid.NewGuid():N}@nada.test";
            Guid running, queued;

            await using (var first = await ServerProcess.StartAsync(data, settings))
            {
                using var user = first.NewClient();
                await user.RegisterAndLoginAsync(email, "User-pass-1");
                running = await user.SubmitAsync(job);
                queued = await user.SubmitAsync(job);
                await user.WaitForAsync(running, j => j.Step >= 12, timeoutSeconds: 180);
                first.Kill();
            }

            // The newest checkpoint is damaged while the server is down: the run falls back to the one before it.
            // On a busy machine the kill lands anywhere after step 12, so which checkpoints exist is read from disk.
            var checkpoints = Path.Combine(data, "runs", running.ToString("N"), "checkpoints");
            var kept = Directory.GetDirectories(checkpoints, "step-*").Select(d => int.Parse(Path.GetFileName(d)["step-".Length..]))
                .OrderDescending().ToList();
            Assert.True(kept.Count >= 2 && kept[0] >= 10 && kept[0] < Steps, $"checkpoints at the kill: {string.Join(", ", kept)}");
            string newest = $"step-{kept[0]:D6}";
            int expectedResume = kept[1];
            Assert.Equal(kept[0] - options.CheckpointEvery, expectedResume);
            await File.WriteAllBytesAsync(Path.Combine(checkpoints, newest, "weights.safetensors"), [1, 2, 3]);

            var sw = Stopwatch.StartNew();
            await using var second = await ServerProcess.StartAsync(data, settings);
            double answered = sw.Elapsed.TotalSeconds;
            using var again = second.NewClient();
            await again.LoginAsync(email, "User-pass-1");
            // Both of the user's jobs are still live, so the limit of 2 refuses a third (nothing was counted twice or lost).
            Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, (await again.PostJobAsync(job)).StatusCode);
            var resumed = await again.WaitForAsync(running, j => j.Status == JobStatus.Running && j.ResumedFromStep is not null && j.Step > expectedResume, timeoutSeconds: 120);
            double toResumed = sw.Elapsed.TotalSeconds;
            output.WriteLine($"{storage}: answered {answered:F1} s after restart; resumed job stepping {toResumed:F1} s after restart, from step {resumed.ResumedFromStep}");
            Assert.Equal(expectedResume, resumed.ResumedFromStep);
            Assert.True(toResumed - answered < 15, $"the job resumed {toResumed - answered:F1} s after the app answered");

            var done = await again.WaitForStatusAsync(running, JobStatus.Succeeded, timeoutSeconds: 300);
            Assert.Equal(Enumerable.Range(1, Steps), done.Losses.Select(l => l.Step));   // every step once
            Assert.Contains(done.Warnings, w => w.Contains(newest) && w.Contains("cannot be read"));
            Assert.NotNull(done.DomainId);
            var other = await again.WaitForStatusAsync(queued, JobStatus.Succeeded, timeoutSeconds: 300);
            Assert.Equal(Enumerable.Range(1, Steps), other.Losses.Select(l => l.Step));
        }
        finally
        {
            TestPaths.TryDelete(data);
        }
    }
}
