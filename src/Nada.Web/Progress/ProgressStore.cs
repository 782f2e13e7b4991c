using System.Collections.Concurrent;
using System.Text.Json;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Progress;

/// <summary>
/// Singleton history and notifier of job progress, keyed by job id. Keeps the loss series and preview list in
/// memory (and in the run folder, so a restart loses nothing); tells subscribers of every change.
/// </summary>
public sealed class ProgressStore(DataPaths paths, ILogger<ProgressStore> logger)
{
    /// <summary>Finished jobs kept in memory; older ones are dropped and read back from their run folder on demand.</summary>
    public const int FinishedJobsKept = 200;

    private readonly ConcurrentDictionary<Guid, JobState> _jobs = new();
    private readonly ConcurrentQueue<Guid> _finished = new();

    /// <summary>Every change of every job, raised on the thread that made it (the job's worker thread for steps).</summary>
    public event Action<ProgressEvent>? Published;

    /// <summary>The current state of a job; history read back from its run folder when this process has none.</summary>
    public JobProgressSnapshot Get(Guid jobId, JobStatus statusIfUnknown)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, statusIfUnknown));
        lock (state) return state.Snapshot(jobId);
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

    /// <summary>Records the losses of one step.</summary>
    public void ReportStep(Guid jobId, int step, int totalSteps, IReadOnlyDictionary<string, double> losses)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        var copy = new Dictionary<string, double>(losses);
        lock (state)
        {
            state.Status = JobStatus.Running;
            state.Step = step;
            state.TotalSteps = totalSteps;
            // A resumed run repeats no steps, but drop any that came after its checkpoint.
            state.Losses.RemoveAll(p => p.Step >= step);
            state.Losses.Add(new LossPoint(step, copy));
            AppendLossLine(jobId, new LossPoint(step, copy));
        }
        Publish(new ProgressEvent(jobId, ProgressEventKind.Step, step, totalSteps, copy, JobStatus.Running, null, null));
    }

    /// <summary>Writes a preview grid to the job's preview folder and records it.</summary>
    public void ReportPreview(Guid jobId, int step, int totalSteps, byte[] png)
    {
        var dir = paths.PreviewDir(jobId);
        Directory.CreateDirectory(dir);
        var file = PreviewFile(jobId, step);
        File.WriteAllBytes(file + ".tmp", png);
        File.Move(file + ".tmp", file, overwrite: true);
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        lock (state)
        {
            state.PreviewSteps.Remove(step);
            state.PreviewSteps.Add(step);
        }
        Publish(new ProgressEvent(jobId, ProgressEventKind.Preview, step, totalSteps, null, JobStatus.Running, null, null));
    }

    /// <summary>Records a warning of the engine (shown beside the live view; kept in the run folder).</summary>
    public void ReportWarning(Guid jobId, string message)
    {
        var state = _jobs.GetOrAdd(jobId, id => Load(id, JobStatus.Running));
        lock (state)
        {
            state.Warnings.Add(message);
            Directory.CreateDirectory(paths.RunDir(jobId));
            File.AppendAllText(WarningFile(jobId), message.ReplaceLineEndings(" ") + "\n");
        }
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

    /// <summary>Forgets a job (after it was deleted).</summary>
    public void Forget(Guid jobId) => _jobs.TryRemove(jobId, out _);

    /// <summary>The file of the preview taken at <paramref name="step"/>.</summary>
    public string PreviewFile(Guid jobId, int step) => Path.Combine(paths.PreviewDir(jobId), $"preview-{step:D6}.png");

    private void Publish(ProgressEvent e)
    {
        try { Published?.Invoke(e); }
        catch (Exception ex) { logger.LogWarning(ex, "Publishing progress of job {JobId} failed", e.JobId); }
    }

    private string LossFile(Guid jobId) => Path.Combine(paths.RunDir(jobId), "losses.jsonl");

    private string WarningFile(Guid jobId) => Path.Combine(paths.RunDir(jobId), "warnings.txt");

    private void AppendLossLine(Guid jobId, LossPoint point)
    {
        Directory.CreateDirectory(paths.RunDir(jobId));
        File.AppendAllText(LossFile(jobId), JsonSerializer.Serialize(point) + "\n");
    }

    private JobState Load(Guid jobId, JobStatus status)
    {
        var state = new JobState { Status = status };
        var lossFile = LossFile(jobId);
        if (File.Exists(lossFile))
        {
            foreach (var line in File.ReadLines(lossFile))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    var p = JsonSerializer.Deserialize<LossPoint>(line);
                    if (p is null) continue;
                    state.Losses.RemoveAll(x => x.Step >= p.Step);
                    state.Losses.Add(p);
                }
                catch (JsonException) { /* a line cut by a crash */ }
            }
            state.Step = state.Losses.Count > 0 ? state.Losses[^1].Step : 0;
        }
        if (File.Exists(WarningFile(jobId)))
            state.Warnings.AddRange(File.ReadLines(WarningFile(jobId)).Where(l => l.Length > 0));
        var previews = paths.PreviewDir(jobId);
        if (Directory.Exists(previews))
        {
            foreach (var f in Directory.EnumerateFiles(previews, "preview-*.png").Order(StringComparer.Ordinal))
                if (int.TryParse(Path.GetFileNameWithoutExtension(f)["preview-".Length..], out var s)) state.PreviewSteps.Add(s);
        }
        return state;
    }

    private sealed class JobState
    {
        public JobStatus Status;
        public int Step;
        public int TotalSteps;
        public string? Error;
        public Guid? DomainId;
        public readonly List<LossPoint> Losses = [];
        public readonly List<int> PreviewSteps = [];
        public readonly List<string> Warnings = [];

        public JobProgressSnapshot Snapshot(Guid id) =>
            new(id, Status, Step, TotalSteps, Losses.ToArray(), PreviewSteps.ToArray(), Error, DomainId) { Warnings = Warnings.ToArray() };
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
