using System.Collections.Concurrent;
using System.Text.Json;
using Nada.Core.Runs;
using Nada.Web.Cluster;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Progress;

/// <summary>
/// Singleton view and notifier of job progress, keyed by job id. The run folder is the record (the engine writes the
/// history and the previews there, each once); this store keeps what it has seen in memory for quick snapshots, reads
/// the run folder for jobs it has not seen (a reload, a restart, a job run by another box), and tells subscribers of
/// every change. Changes made on this box go out on the cluster bus; changes heard from other boxes come in the same
/// way, and a job running elsewhere is read again from its (shared) run folder when its copy here is a few seconds
/// old, so pages keep up without the bus too. It writes no file.
/// </summary>
public sealed class ProgressStore
{
    /// <summary>The bus topic of progress events.</summary>
    public const string Topic = "progress";

    /// <summary>How old the copy of a job running on another box may get before it is read from the run folder again.</summary>
    public static readonly TimeSpan RemoteRefresh = TimeSpan.FromSeconds(2);

    private readonly DataPaths paths;
    private readonly IClusterBus bus;
    private readonly ILogger<ProgressStore> logger;

    public ProgressStore(DataPaths paths, IClusterBus bus, ILogger<ProgressStore> logger)
    {
        (this.paths, this.bus, this.logger) = (paths, bus, logger);
        bus.Subscribe<ProgressEvent>(Topic, ApplyRemote);
    }

    /// <summary>Finished jobs kept in memory; older ones are dropped and read back from their run folder on demand.</summary>
    public const int FinishedJobsKept = 200;

    private readonly ConcurrentDictionary<Guid, JobState> _jobs = new();
    private readonly ConcurrentQueue<Guid> _finished = new();

    /// <summary>Every change of every job, raised on the thread that made it (the job's worker thread for steps).</summary>
    public event Action<ProgressEvent>? Published;

    /// <summary>The current state of a job; history read from its run folder when this process has none.</summary>
    public JobProgressSnapshot Get(Guid jobId, JobStatus statusIfUnknown)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, statusIfUnknown));
        lock (state)
        {
            if (!state.Local && state.Status is JobStatus.Queued or JobStatus.Running && DateTimeOffset.UtcNow - state.LoadedAt > RemoteRefresh)
                Reload(jobId, state);
            return state.Snapshot(jobId);
        }
    }

    /// <summary>Calls <paramref name="onChange"/> with a fresh snapshot after every change of one job.</summary>
    public IDisposable Subscribe(Guid jobId, Action<JobProgressSnapshot> onChange)
    {
        void Handler(ProgressEvent e)
        {
            if (e.JobId != jobId) return;
            try { onChange(Get(jobId, JobStatus.Queued)); }
            catch (Exception ex) { logger.LogWarning(ex, "A progress subscriber of job {JobId} failed", jobId); }
        }
        Published += Handler;
        return new Unsubscriber(() => Published -= Handler);
    }

    /// <summary>A run (re)started after <paramref name="fromStep"/> steps: steps after it will be reported again.</summary>
    public void ReportStarted(Guid jobId, int fromStep, int totalSteps)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        lock (state)
        {
            state.Local = true;
            state.Status = JobStatus.Running;
            state.Step = fromStep;
            state.TotalSteps = totalSteps;
            state.Losses.RemoveAll(p => p.Step > fromStep);
            state.PreviewSteps.RemoveAll(s => s > fromStep);
            state.StartedAt = DateTimeOffset.UtcNow;
            state.StartedFromStep = fromStep;
        }
        Publish(new ProgressEvent(jobId, ProgressEventKind.Status, fromStep, totalSteps, null, JobStatus.Running, null, null));
    }

    /// <summary>Records one reported step (values, and the preview the engine wrote for it, if any).</summary>
    public void ReportStep(Guid jobId, StepReport report)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        var values = new Dictionary<string, double>(report.Values);
        lock (state)
        {
            state.Local = true;
            state.Status = JobStatus.Running;
            state.Step = report.Step;
            state.TotalSteps = report.TotalSteps;
            // Each step once: a step reported again (after a resume) replaces itself and what came after it.
            state.Losses.RemoveAll(p => p.Step >= report.Step);
            state.Losses.Add(new LossPoint(report.Step, values));
            state.PreviewSteps.RemoveAll(s => s >= report.Step);
            if (report.ImageFile is not null) state.PreviewSteps.Add(report.Step);
        }
        Publish(new ProgressEvent(jobId, ProgressEventKind.Step, report.Step, report.TotalSteps, values, JobStatus.Running, null, null));
        if (report.ImageFile is not null)
            Publish(new ProgressEvent(jobId, ProgressEventKind.Preview, report.Step, report.TotalSteps, null, JobStatus.Running, null, null));
    }

    /// <summary>Records a warning of the engine (shown beside the live view).</summary>
    public void ReportWarning(Guid jobId, string message)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        lock (state) state.Warnings.Add(message);
        Publish(new ProgressEvent(jobId, ProgressEventKind.Warning, 0, 0, null, null, null, null, message));
    }

    /// <summary>Records a status change (queued, running, finished).</summary>
    public void SetStatus(Guid jobId, JobStatus status, string? error = null, Guid? domainId = null)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, status));
        int step, total;
        lock (state)
        {
            state.Status = status;
            state.Error = error;
            state.DomainId = domainId ?? state.DomainId;
            step = state.Step;
            total = state.TotalSteps;
        }
        Publish(new ProgressEvent(jobId, ProgressEventKind.Status, step, total, null, status, error, domainId));
        if (status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled)
        {
            _finished.Enqueue(jobId);
            while (_finished.Count > FinishedJobsKept && _finished.TryDequeue(out var old))
                if (_jobs.TryGetValue(old, out var s) && s.Status is not (JobStatus.Queued or JobStatus.Running)) _jobs.TryRemove(old, out _);
        }
    }

    /// <summary>Tells watchers that the queue changed around a job (a priority, a quota), so positions are read again.</summary>
    public void Touch(Guid jobId) => Publish(new ProgressEvent(jobId, ProgressEventKind.Queue, 0, 0, null, null, null, null));

    /// <summary>Forgets a job (after it was deleted).</summary>
    public void Forget(Guid jobId) => _jobs.TryRemove(jobId, out _);

    /// <summary>The preview image of <paramref name="step"/>, or null.</summary>
    public string? PreviewFile(Guid jobId, int step)
    {
        var file = paths.Run(jobId).SampleFile(step);
        if (File.Exists(file)) return file;
        var legacy = Path.Combine(paths.RunDir(jobId), "previews", $"preview-{step:D6}.png");
        return File.Exists(legacy) ? legacy : null;
    }

    private void Publish(ProgressEvent e)
    {
        Raise(e);
        if (!e.Remote) bus.Publish(Topic, e);
    }

    private void Raise(ProgressEvent e)
    {
        try { Published?.Invoke(e); }
        catch (Exception ex) { logger.LogWarning(ex, "Publishing progress of job {JobId} failed", e.JobId); }
    }

    /// <summary>An event of a job on another box: update the copy here, then tell this box's watchers.</summary>
    private void ApplyRemote(ProgressEvent e)
    {
        var state = _jobs.GetOrAdd(e.JobId, id => Load(id, e.Status ?? JobStatus.Running));
        lock (state)
        {
            switch (e.Kind)
            {
                case ProgressEventKind.Step when e.Losses is not null:
                    // A gap (events missed while the bus was down): the shared run folder has every step.
                    if (state.Losses.Count > 0 && state.Losses[^1].Step < e.Step - 1) Reload(e.JobId, state);
                    state.Losses.RemoveAll(p => p.Step >= e.Step);
                    state.Losses.Add(new LossPoint(e.Step, e.Losses));
                    state.PreviewSteps.RemoveAll(s => s >= e.Step);
                    (state.Step, state.TotalSteps, state.Status) = (e.Step, e.TotalSteps, JobStatus.Running);
                    break;
                case ProgressEventKind.Preview:
                    state.PreviewSteps.Remove(e.Step);
                    state.PreviewSteps.Add(e.Step);
                    break;
                case ProgressEventKind.Warning when e.Message is not null:
                    state.Warnings.Add(e.Message);
                    break;
                case ProgressEventKind.Status when e.Status is { } status:
                    state.Status = status;
                    state.Error = e.Error;
                    state.DomainId = e.DomainId ?? state.DomainId;
                    if (status == JobStatus.Running && e.Step < state.Step) Reload(e.JobId, state);   // restarted after a resume
                    break;
            }
        }
        Raise(e with { Remote = true });
    }

    /// <summary>Reads a job's history, previews and warnings again from its run folder, keeping status, error and domain.</summary>
    private void Reload(Guid jobId, JobState state)
    {
        var fresh = Load(jobId, state.Status);
        state.Losses.Clear();
        state.Losses.AddRange(fresh.Losses);
        state.PreviewSteps.Clear();
        state.PreviewSteps.AddRange(fresh.PreviewSteps);
        state.Warnings.Clear();
        state.Warnings.AddRange(fresh.Warnings);
        (state.Step, state.TotalSteps, state.LoadedAt) = (fresh.Step, Math.Max(fresh.TotalSteps, state.TotalSteps), fresh.LoadedAt);
    }

    private JobState Load(Guid jobId, JobStatus status)
    {
        var state = new JobState { Status = status };
        var layout = paths.Run(jobId);
        var history = new RunHistory(layout);
        var records = history.Read();
        foreach (var r in records)
        {
            state.Losses.Add(new LossPoint(r.Step, r.Values));
            if (r.Image is not null) state.PreviewSteps.Add(r.Step);
            state.TotalSteps = r.TotalSteps;
        }
        state.Warnings.AddRange(history.Warnings());
        if (records.Count == 0) LoadLegacy(jobId, state);
        state.Step = state.Losses.Count > 0 ? state.Losses[^1].Step : 0;
        return state;
    }

    /// <summary>Runs made before the engine kept their history: losses.jsonl and previews/ written by the web app.</summary>
    private void LoadLegacy(Guid jobId, JobState state)
    {
        var lossFile = Path.Combine(paths.RunDir(jobId), "losses.jsonl");
        if (File.Exists(lossFile))
            foreach (var line in File.ReadLines(lossFile).Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                try
                {
                    if (JsonSerializer.Deserialize<LossPoint>(line) is not { } p) continue;
                    state.Losses.RemoveAll(x => x.Step >= p.Step);
                    state.Losses.Add(p);
                }
                catch (JsonException) { }
            }
        var previews = Path.Combine(paths.RunDir(jobId), "previews");
        if (Directory.Exists(previews))
            foreach (var f in Directory.EnumerateFiles(previews, "preview-*.png").Order(StringComparer.Ordinal))
                if (int.TryParse(Path.GetFileNameWithoutExtension(f)["preview-".Length..], out var s)) state.PreviewSteps.Add(s);
    }

    private sealed class JobState
    {
        public JobStatus Status;
        public int Step;
        public int TotalSteps;
        public string? Error;
        public Guid? DomainId;
        public DateTimeOffset? StartedAt;
        public int StartedFromStep;
        /// <summary>True when the job reports on this box (its copy here is the first-hand one).</summary>
        public bool Local;
        /// <summary>When the copy was last read from the run folder.</summary>
        public DateTimeOffset LoadedAt = DateTimeOffset.UtcNow;
        public readonly List<LossPoint> Losses = [];
        public readonly List<int> PreviewSteps = [];
        public readonly List<string> Warnings = [];

        public JobProgressSnapshot Snapshot(Guid id) =>
            new(id, Status, Step, TotalSteps, Losses.ToArray(), PreviewSteps.ToArray(), Error, DomainId)
            {
                Warnings = Warnings.ToArray(),
                RunStartedAt = StartedAt,
                RunStartedFromStep = StartedFromStep,
            };
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}

/// <summary>The engine's progress of one job, passed to the store (and the step to the job's heartbeat). Called on the job's thread.</summary>
public sealed class StoreRunProgress(ProgressStore store, Guid jobId, Jobs.JobHeartbeat? heartbeat = null) : IRunProgress
{
    /// <inheritdoc />
    public void Started(int fromStep, int totalSteps)
    {
        heartbeat?.StepReached(fromStep);
        store.ReportStarted(jobId, fromStep, totalSteps);
    }

    /// <inheritdoc />
    public void Step(StepReport report)
    {
        heartbeat?.StepReached(report.Step);
        store.ReportStep(jobId, report);
    }

    /// <inheritdoc />
    public void Warn(string message) => store.ReportWarning(jobId, message);
}
