namespace Nada.Core.Models;

/// <summary>
/// The models folder seen through the registry: where each model lives, whether it is there and intact, and
/// downloads that fill it. Two callers asking for the same model in one process share one download; a lock
/// file in <c>.locks/</c> keeps two processes from downloading the same file at once. Thread-safe.
/// </summary>
public sealed class ModelStore
{
    private readonly ModelDownloader _downloader;
    private readonly DownloadOptions _options;
    private readonly object _gate = new();
    private readonly Dictionary<string, SharedDownload> _inFlight = new(StringComparer.Ordinal);

    /// <param name="registry">Known models.</param>
    /// <param name="modelsDirectory">Folder that holds the model files (created on first download).</param>
    /// <param name="http">Client for downloads; one is created when null.</param>
    /// <param name="options">Retry and timeout settings.</param>
    public ModelStore(ModelRegistry registry, string modelsDirectory, HttpClient? http = null, DownloadOptions? options = null)
    {
        Registry = registry;
        ModelsDirectory = System.IO.Path.GetFullPath(modelsDirectory);
        _options = options ?? new DownloadOptions();
        _downloader = new ModelDownloader(http ?? CreateHttpClient(), _options);
    }

    /// <summary>The registry this store serves.</summary>
    public ModelRegistry Registry { get; }

    /// <summary>Absolute path of the models folder.</summary>
    public string ModelsDirectory { get; }

    /// <summary>An HttpClient suited to large downloads (no overall timeout; stalls are caught per read).</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AllowAutoRedirect = true,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Where the file of model <paramref name="id"/> lives (whether or not it exists).</summary>
    public string Path(string id) => System.IO.Path.Combine(ModelsDirectory, Registry.Find(id).FileName);

    /// <summary>Whether the file exists (no hashing; see <see cref="Verify"/>).</summary>
    public bool IsPresent(string id) => File.Exists(Path(id));

    /// <summary>Every registry entry with its presence in the folder (no hashing).</summary>
    public IReadOnlyList<ModelStatus> List() => Registry.Models.Select(entry =>
    {
        string path = System.IO.Path.Combine(ModelsDirectory, entry.FileName);
        var info = new FileInfo(path);
        string? recorded = info.Exists ? TryReadSidecar(path) : null;
        return new ModelStatus(entry, path, info.Exists, info.Exists ? info.Length : null, recorded);
    }).ToArray();

    /// <summary>
    /// Hashes the file and compares it with the published hash, or with the hash recorded in its sidecar.
    /// When neither exists the hash is recorded now, so later tampering is detected.
    /// </summary>
    public ModelVerification Verify(string id, CancellationToken ct = default) => VerifyFile(Registry.Find(id), ct);

    /// <summary>
    /// Makes model <paramref name="id"/> present and verified, downloading it when needed, and returns its path.
    /// A file already present and verified is used without any network access.
    /// </summary>
    public Task<string> DownloadAsync(string id, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        var entry = Registry.Find(id);
        string path = System.IO.Path.Combine(ModelsDirectory, entry.FileName);
        SharedDownload shared;
        lock (_gate)
        {
            if (_inFlight.TryGetValue(path, out shared!) && !shared.IsAbandoned)
            {
                shared.Join(progress);
            }
            else
            {
                shared = new SharedDownload();
                _inFlight[path] = shared;
                shared.Join(progress); // before Start, so the first caller sees every report
                var started = shared;
                started.Start(() => RunAsync(entry, path, started),
                    () => { lock (_gate) { if (_inFlight.GetValueOrDefault(path) == started) _inFlight.Remove(path); } });
            }
        }
        return shared.WaitAsync(progress, ct);
    }

    private async Task<string> RunAsync(ModelEntry entry, string path, SharedDownload shared)
    {
        var ct = shared.Token;
        string lockPath = System.IO.Path.Combine(ModelsDirectory, ".locks", entry.FileName + ".lock");
        using var fileLock = await FileLock.AcquireAsync(lockPath, $"'{entry.Id}' ({path})", _options.LockTimeout, _options.LockPollInterval, ct);

        string? note = null;
        if (File.Exists(path))
        {
            var check = VerifyFile(entry, ct);
            if (check.IsOk)
            {
                long length = new FileInfo(path).Length;
                shared.Report(new DownloadProgress(entry.Id, DownloadPhase.Completed, length, length, 0, TimeSpan.Zero, null,
                    $"already present: {check.Message}"));
                return path;
            }
            note = $"the file present fails verification ({check.Message}); downloading it again";
            shared.Report(new DownloadProgress(entry.Id, DownloadPhase.Connecting, 0, entry.SizeBytes, 0, null, null, note));
        }

        string? recorded = entry.Sha256 is null ? TryReadSidecar(path) : null;
        var request = new DownloadRequest(entry.Id, entry.Urls, path,
            entry.Sha256 ?? recorded,
            entry.Sha256 is not null ? "published by the model registry" : $"recorded in {Sha256File.SidecarPath(path)} at first download",
            entry.SizeBytes);
        var file = await _downloader.DownloadAsync(request, shared, ct);
        if (entry.Sha256 is null && recorded is null)
            Sha256File.WriteSidecar(path, file.Sha256);
        return path;
    }

    private ModelVerification VerifyFile(ModelEntry entry, CancellationToken ct)
    {
        string path = System.IO.Path.Combine(ModelsDirectory, entry.FileName);
        var info = new FileInfo(path);
        if (!info.Exists)
            return new(entry.Id, path, VerificationStatus.Missing, null, entry.Sha256,
                $"missing: expected at '{path}' (run `nada models download {entry.Id}` or put the file there by hand)");
        if (entry.SizeBytes is { } size && info.Length != size)
            return new(entry.Id, path, VerificationStatus.SizeMismatch, null, entry.Sha256,
                $"'{path}' has {info.Length} bytes but {size} are expected");

        string actual = Sha256File.Compute(path, ct);
        if (entry.Sha256 is { } published)
        {
            return actual == published
                ? new(entry.Id, path, VerificationStatus.Verified, actual, published, $"SHA-256 {actual} matches the published hash")
                : new(entry.Id, path, VerificationStatus.Mismatch, actual, published,
                    $"'{path}' has SHA-256 {actual} but the publisher gives {published}");
        }
        string? recorded = Sha256File.ReadSidecar(path);
        if (recorded is null)
        {
            Sha256File.WriteSidecar(path, actual);
            return new(entry.Id, path, VerificationStatus.RecordedNow, actual, null,
                $"no published hash; recorded SHA-256 {actual} in {Sha256File.SidecarPath(path)}");
        }
        return actual == recorded
            ? new(entry.Id, path, VerificationStatus.MatchesRecorded, actual, recorded,
                $"SHA-256 {actual} matches the hash recorded at first download (no published hash)")
            : new(entry.Id, path, VerificationStatus.Mismatch, actual, recorded,
                $"'{path}' has SHA-256 {actual} but {recorded} was recorded at first download in {Sha256File.SidecarPath(path)}");
    }

    private static string? TryReadSidecar(string path)
    {
        try { return Sha256File.ReadSidecar(path); }
        catch (ModelStoreException) { return null; }
    }

    /// <summary>
    /// One download shared by every caller that asks for the same file while it runs. Progress fans out to
    /// every caller; it is cancelled only when every caller has cancelled.
    /// </summary>
    private sealed class SharedDownload : IProgress<DownloadProgress>
    {
        private readonly object _lock = new();
        private readonly List<IProgress<DownloadProgress>?> _listeners = [];
        private readonly CancellationTokenSource _cts = new();
        private Task<string> _task = null!;

        public CancellationToken Token => _cts.Token;

        public bool IsAbandoned => _cts.IsCancellationRequested;

        public void Start(Func<Task<string>> run, Action onDone)
        {
            _task = Task.Run(async () =>
            {
                try { return await run(); }
                finally { onDone(); }
            });
        }

        public void Join(IProgress<DownloadProgress>? progress)
        {
            lock (_lock) _listeners.Add(progress);
        }

        public async Task<string> WaitAsync(IProgress<DownloadProgress>? progress, CancellationToken ct)
        {
            try
            {
                return await _task.WaitAsync(ct);
            }
            finally
            {
                bool cancelAll;
                lock (_lock)
                {
                    _listeners.Remove(progress);
                    cancelAll = _listeners.Count == 0 && !_task.IsCompleted;
                }
                if (cancelAll) _cts.Cancel();
            }
        }

        public void Report(DownloadProgress value)
        {
            IProgress<DownloadProgress>?[] listeners;
            lock (_lock) listeners = _listeners.ToArray();
            foreach (var listener in listeners) listener?.Report(value);
        }
    }
}
