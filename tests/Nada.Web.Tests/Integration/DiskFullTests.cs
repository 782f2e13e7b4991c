using System.Diagnostics;
using System.Net;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// The data folder on a small tmpfs that fills up mid-job: the job fails with "disk is full" and keeps its last
/// checkpoint, a queued job waits instead of starting, new jobs are refused saying why, and everything recovers by
/// itself once space is freed. Needs root to mount the tmpfs (the test userland runs as root in a private mount namespace).
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task AFullDisk_FailsTheJobCleanly_HoldsTheQueue_AndRecoversWhenSpaceReturns()
    {
        var mount = TestPaths.NewTempDir("tmpfs");
        Run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount);
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["Engine:FakeStepMilliseconds"] = "60",
                ["Engine:FakePreviewEvery"] = "2",
                ["Limits:MinFreeDiskBytes"] = (2 << 20).ToString(),
            };
            var data = Path.Combine(mount, "data");
            await using var app = new NadaAppFactory(data, settings);
            using var user = await app.NewUserAsync("disk");
            var first = await user.SubmitAsync(ApiClient.Job(iterations: 200));
            var queued = await user.SubmitAsync(ApiClient.Job(iterations: 4));
            await user.WaitForAsync(first, j => j.Step >= 6);

            // Fill the disk to the last byte.
            var filler = Path.Combine(mount, "filler.bin");
            await using (var fs = new FileStream(filler, FileMode.Create))
            {
                var block = new byte[1 << 20];
                try { while (true) fs.Write(block); }
                catch (IOException) { }
                try { while (true) fs.Write(block, 0, 4096); }
                catch (IOException) { }
            }

            // The running job stops at its next write; the queued one does not start; new ones are refused.
            var failed = await user.WaitForStatusAsync(first, JobStatus.Failed, timeoutSeconds: 60);
            Assert.Contains("disk is full", failed.Error);
            Assert.DoesNotContain(mount, failed.Error);
            var checkpoint = Path.Combine(data, "runs", first.ToString("N"), "fake-checkpoint.json");
            Assert.True(File.Exists(checkpoint));                                    // the last checkpoint is kept
            var refused = await user.PostJobAsync(ApiClient.Job(iterations: 2));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Contains("disk is nearly full", await refused.Content.ReadAsStringAsync());
            await Task.Delay(1500);   // several sweeps and claims: the queued job must still wait
            Assert.Equal(JobStatus.Queued, (await user.GetJobAsync(queued))!.Status);

            // Space returns: the queued job runs, submissions are accepted again, the failure stays recorded.
            File.Delete(filler);
            await user.WaitForStatusAsync(queued, JobStatus.Succeeded, timeoutSeconds: 60);
            var again = await user.SubmitAsync(ApiClient.Job(iterations: 2));
            await user.WaitForStatusAsync(again, JobStatus.Succeeded, timeoutSeconds: 60);
            Assert.Equal(JobStatus.Failed, (await user.GetJobAsync(first))!.Status);
            // The failure that could not be written while the disk was full is in the database now.
            var pending = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Nada.Web.Jobs.PendingOutcomes>(app.Services);
            Assert.Empty(pending.JobIds);
        }
        finally
        {
            Run("umount", "-l", mount);
            TestPaths.TryDelete(mount);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err} (this test needs root to mount a tmpfs; run it through scripts/in-userland.sh or as root)");
    }
}
