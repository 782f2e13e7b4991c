using Nada.Core.Models;

namespace Nada.Core.Tests.Models;

/// <summary>Downloads through <see cref="ModelStore"/> against a real HTTP server on 127.0.0.1.</summary>
public class ModelDownloadTests
{
    private const int Size = 300_000;

    [Fact]
    public async Task FirstDownloadWritesVerifiedFileAndReportsProgress()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 1);
        env.Server.Serve("/m.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content), Size));
        var progress = new RecordingProgress();

        string path = await store.DownloadAsync("m", progress);

        Assert.Equal(Path.Combine(env.ModelsDir, "m.pkl"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(["m.pkl"], env.FilesInModelsDir());
        Assert.Equal(1, env.Server.RequestCount);

        var downloading = progress.Reports.Where(r => r.Phase == DownloadPhase.Downloading).ToList();
        Assert.True(downloading.Count >= 2, $"expected several progress reports, got {downloading.Count}");
        Assert.All(downloading, r => Assert.Equal(Size, r.TotalBytes));
        Assert.Equal(downloading.Select(r => r.BytesDone).Order(), downloading.Select(r => r.BytesDone));
        Assert.Equal(Size, downloading[^1].BytesDone);
        Assert.Contains(downloading, r => r.BytesPerSecond > 0);
        Assert.Equal(DownloadPhase.Completed, progress.Reports[^1].Phase);
        Assert.Equal(VerificationStatus.Verified, store.Verify("m").Status);
    }

    [Fact]
    public async Task PresentVerifiedFileIsUsedWithoutNetwork()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 2);
        env.Server.Serve("/m.pkl", content);
        var entry = ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content));
        await env.Store(entry).DownloadAsync("m");
        Assert.Equal(1, env.Server.RequestCount);

        var progress = new RecordingProgress();
        string path = await env.Store(entry).DownloadAsync("m", progress); // a fresh store: no in-memory state

        Assert.Equal(1, env.Server.RequestCount);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(DownloadPhase.Completed, Assert.Single(progress.Reports).Phase);
    }

    [Fact]
    public async Task HashMismatchDeletesDownloadAndNamesBothHashes()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 3);
        string wrong = ModelTestEnvironment.Sha(ModelTestEnvironment.RandomBytes(Size, 4));
        env.Server.Serve("/m.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], wrong));

        var ex = await Assert.ThrowsAsync<ModelHashMismatchException>(() => store.DownloadAsync("m"));

        Assert.Contains(wrong, ex.Message);
        Assert.Contains(ModelTestEnvironment.Sha(content), ex.Message);
        Assert.Equal(wrong, ex.Expected);
        Assert.Empty(env.FilesInModelsDir()); // neither m.pkl nor m.pkl.part
        Assert.False(store.IsPresent("m"));
    }

    [Fact]
    public async Task CutTransferIsResumedWithRangeFromTheRightByte()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 5);
        var route = env.Server.Serve("/m.pkl", content);
        route.CutAfterBytes = 100_000;
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));

        string path = await store.DownloadAsync("m");

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(2, route.Requests);
        string?[] ranges = route.RangeHeaders.ToArray();
        Assert.Null(ranges[0]);
        Assert.StartsWith("bytes=", ranges[1]);
        long resumedAt = long.Parse(ranges[1]!["bytes=".Length..^1]);
        Assert.Equal(100_000, resumedAt); // exactly the bytes that reached the disk before the cut
        Assert.Equal(["m.pkl"], env.FilesInModelsDir());
    }

    [Fact]
    public async Task ServerIgnoringRangeAfterCutRestartsFromZero()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 6);
        var route = env.Server.Serve("/m.pkl", content);
        route.CutAfterBytes = 120_000;
        route.IgnoreRange = true;
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], null)); // no hash to save us

        string path = await store.DownloadAsync("m");

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(2, route.Requests);
        Assert.NotNull(route.RangeHeaders.ToArray()[1]); // we asked for a resume, got 200, and started over
    }

    [Fact]
    public async Task WrongContentRangeRestartsFromZero()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 7);
        var route = env.Server.Serve("/m.pkl", content);
        route.CutAfterBytes = 50_000;
        route.WrongContentRange = true;
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], null));

        string path = await store.DownloadAsync("m");

        Assert.Equal(content, File.ReadAllBytes(path));
        string?[] ranges = route.RangeHeaders.ToArray();
        Assert.Equal(3, ranges.Length); // cut, bad 206 rejected, fresh 200
        Assert.NotNull(ranges[1]);
        Assert.Null(ranges[2]);
    }

    [Fact]
    public async Task TransferCutOnEveryAttemptFailsClearlyAndKeepsNoFinalFile()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 8);
        var route = env.Server.Serve("/m.pkl", content);
        route.CutAfterBytes = 10_000;
        route.IgnoreRange = true;
        route.CutTimes = int.MaxValue;
        string url = env.Server.Url("/m.pkl");
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [url], null));

        var ex = await Assert.ThrowsAsync<ModelUnreachableException>(() => store.DownloadAsync("m"));

        Assert.Contains(url, ex.Message);
        Assert.Contains(store.Path("m"), ex.Message);
        Assert.Equal(ModelTestEnvironment.FastOptions.MaxAttempts, route.Requests);
        Assert.False(File.Exists(store.Path("m")));
        Assert.False(File.Exists(store.Path("m") + ".sha256"));
    }

    [Fact]
    public async Task TransientServerErrorsAreRetried()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 9);
        var route = env.Server.Serve("/m.pkl", content);
        route.FailFirst = 2;
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        var progress = new RecordingProgress();

        await store.DownloadAsync("m", progress);

        Assert.Equal(3, route.Requests);
        Assert.Equal(2, progress.Reports.Count(r => r.Phase == DownloadPhase.Retrying));
        Assert.Contains("503", progress.Reports.First(r => r.Phase == DownloadPhase.Retrying).Message);
    }

    [Fact]
    public async Task NotFoundFailsAtOnceNamingUrlAndManualPath()
    {
        await using var env = new ModelTestEnvironment();
        env.Server.Serve("/m.pkl", [1, 2, 3]).NotFound = true;
        string url = env.Server.Url("/m.pkl");
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [url], null));

        var ex = await Assert.ThrowsAsync<ModelNotFoundOnServerException>(() => store.DownloadAsync("m"));

        Assert.Contains("404", ex.Message);
        Assert.Contains(url, ex.Message);
        Assert.Contains(store.Path("m"), ex.Message);
        Assert.Equal(1, env.Server.RequestCount); // a 404 is not retried
        Assert.Empty(env.FilesInModelsDir());
    }

    [Fact]
    public async Task SecondUrlIsUsedWhenTheFirstIsGone()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 10);
        env.Server.Serve("/old.pkl", content).NotFound = true;
        env.Server.Serve("/new.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl",
            [env.Server.Url("/old.pkl"), env.Server.Url("/new.pkl")], ModelTestEnvironment.Sha(content)));

        string path = await store.DownloadAsync("m");

        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task OfflineFailsNamingUrlAndManualPath()
    {
        await using var env = new ModelTestEnvironment();
        string url = $"http://127.0.0.1:{TestHttpServer.FreePort()}/m.pkl";
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [url], null));

        var ex = await Assert.ThrowsAsync<ModelUnreachableException>(() => store.DownloadAsync("m"));

        Assert.Contains(url, ex.Message);
        Assert.Contains(Path.Combine(env.ModelsDir, "m.pkl"), ex.Message);
        Assert.Contains("nada models verify m", ex.Message);
        Assert.Equal(Path.Combine(env.ModelsDir, "m.pkl"), ex.ManualPath);
        Assert.Empty(env.FilesInModelsDir());
    }

    [Fact]
    public async Task TwoSimultaneousRequestsShareOneDownload()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 11);
        var route = env.Server.Serve("/m.pkl", content);
        route.Delay = TimeSpan.FromMilliseconds(300); // both callers are waiting while the response is pending
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        var first = new RecordingProgress();
        var second = new RecordingProgress();

        var results = await Task.WhenAll(store.DownloadAsync("m", first), store.DownloadAsync("m", second));

        Assert.Equal(1, route.Requests);
        Assert.Equal(results[0], results[1]);
        Assert.Equal(content, File.ReadAllBytes(results[0]));
        Assert.Contains(first.Reports, r => r.Phase == DownloadPhase.Downloading);
        Assert.Contains(second.Reports, r => r.Phase == DownloadPhase.Downloading);
    }

    [Fact]
    public async Task OneCallerCancellingDoesNotStopTheSharedDownloadOfAnother()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 18);
        var route = env.Server.Serve("/m.pkl", content);
        route.Delay = TimeSpan.FromMilliseconds(500);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        using var cancel = new CancellationTokenSource();

        var cancelled = store.DownloadAsync("m", null, cancel.Token);
        var kept = store.DownloadAsync("m");
        cancel.CancelAfter(100);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(content, File.ReadAllBytes(await kept));
        Assert.Equal(1, route.Requests);
    }

    [Fact]
    public async Task CancellingTheOnlyCallerStopsTheDownload()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 19);
        var route = env.Server.Serve("/m.pkl", content);
        route.Delay = TimeSpan.FromMilliseconds(400);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        using var cancel = new CancellationTokenSource(100);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.DownloadAsync("m", null, cancel.Token));
        await Task.Delay(700); // long enough for the server's answer, had the download gone on

        Assert.False(store.IsPresent("m"));
        // A new request starts a fresh download rather than joining the cancelled one.
        Assert.Equal(content, File.ReadAllBytes(await store.DownloadAsync("m")));
    }

    [Fact]
    public async Task LockHeldByAnotherProcessIsWaitedFor()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 12);
        var route = env.Server.Serve("/m.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        string lockPath = Path.Combine(env.ModelsDir, ".locks", "m.pkl.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);

        Task<string> download;
        // Another process would hold the same OS lock: an exclusive handle on the lock file.
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            download = store.DownloadAsync("m");
            await Task.Delay(300);
            Assert.False(download.IsCompleted);
            Assert.Equal(0, route.Requests);
        }

        Assert.Equal(content, File.ReadAllBytes(await download));
        Assert.Equal(1, route.Requests);
    }

    [Fact]
    public async Task UnpublishedHashIsRecordedAndTamperingIsDetected()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 13);
        var route = env.Server.Serve("/m.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], null));

        string path = await store.DownloadAsync("m");

        Assert.StartsWith(ModelTestEnvironment.Sha(content) + "  m.pkl", File.ReadAllText(path + ".sha256"));
        Assert.Equal(VerificationStatus.MatchesRecorded, store.Verify("m").Status);

        byte[] tampered = (byte[])content.Clone();
        tampered[Size / 2] ^= 0xFF;
        File.WriteAllBytes(path, tampered);
        var check = store.Verify("m");
        Assert.Equal(VerificationStatus.Mismatch, check.Status);
        Assert.False(check.IsOk);
        Assert.Equal(ModelTestEnvironment.Sha(tampered), check.ActualSha256);

        // A later download is checked against the recorded hash: the publisher now serves other bytes.
        route.Content = ModelTestEnvironment.RandomBytes(Size, 14);
        File.Delete(path);
        var ex = await Assert.ThrowsAsync<ModelHashMismatchException>(() => store.DownloadAsync("m"));
        Assert.Contains("recorded", ex.Message);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".part"));
    }

    [Fact]
    public async Task TamperedFileIsReplacedByAFreshDownload()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(Size, 15);
        var route = env.Server.Serve("/m.pkl", content);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [env.Server.Url("/m.pkl")], ModelTestEnvironment.Sha(content)));
        string path = await store.DownloadAsync("m");
        File.WriteAllBytes(path, ModelTestEnvironment.RandomBytes(Size, 16));

        await store.DownloadAsync("m");

        Assert.Equal(2, route.Requests);
        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task HandPlacedFileWithoutPublishedHashIsRecordedOnFirstVerify()
    {
        await using var env = new ModelTestEnvironment();
        byte[] content = ModelTestEnvironment.RandomBytes(1000, 17);
        var store = env.Store(ModelTestEnvironment.Entry("m", "m.pkl", [$"http://127.0.0.1:{TestHttpServer.FreePort()}/m.pkl"], null));
        Assert.Equal(VerificationStatus.Missing, store.Verify("m").Status);
        Directory.CreateDirectory(env.ModelsDir);
        File.WriteAllBytes(store.Path("m"), content);

        Assert.Equal(VerificationStatus.RecordedNow, store.Verify("m").Status);
        Assert.Equal(VerificationStatus.MatchesRecorded, store.Verify("m").Status);
        Assert.Equal(store.Path("m"), await store.DownloadAsync("m")); // no network needed (the URL is dead)
    }
}
