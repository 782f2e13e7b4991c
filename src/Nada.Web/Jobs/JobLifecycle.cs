using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Core.Runs;
using Nada.Web.Data;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;
using Nada.Web.Progress;

namespace Nada.Web.Jobs;

/// <summary>
/// Runs one claimed job of any kind: registers its cancellation, keeps its lease and GPU time up to date and watches
/// for a cancel from any box (<see cref="JobHeartbeat"/>), runs the kind, records the final status. Tells a cancel from
/// a shutdown: a job stopped by a shutdown goes back to the queue (it resumes from its checkpoint on the next start or
/// on another box); a cancelled one is marked so; a failed one keeps a message fit for its user.
/// </summary>
public sealed class JobLifecycle(
    IDbContextFactory<NadaDbContext> dbFactory,
    JobKinds kinds,
    ProgressStore store,
    RunningJobs running,
    DataPaths paths,
    JobErrors errors,
    PendingOutcomes pending,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobLifecycle> log)
{
    /// <summary>Runs <paramref name="job"/> (claimed by this box, tracked by <paramref name="db"/>); never throws for the job's own failures.</summary>
    public void Run(NadaDbContext db, JobRecord job, CancellationToken shutdown)
    {
        var kind = kinds.For(job.Kind);
        var cts = running.Start(job.Id, shutdown);
        var heartbeat = new JobHeartbeat(dbFactory, job.Id, job.OwnerId, job.ServerId, cts, store, options.Value, clock, log);
        store.SetStatus(job.Id, JobStatus.Running);
        log.LogInformation("Job {JobId} ({Kind}) starts, attempt {Attempt}", job.Id, job.Kind, job.Attempts);
        try
        {
            var context = new RunContext { Progress = new StoreRunProgress(store, job.Id, heartbeat), Cancellation = cts.Token };
            var outcome = kind.Run(new JobRun(job, paths.Run(job.Id), context, db));
            heartbeat.Dispose();
            if (TakenOver(heartbeat, job)) return;
            job.DomainId = outcome.DomainId;
            Finish(db, job, JobStatus.Succeeded, null);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            heartbeat.Dispose();
            if (TakenOver(heartbeat, job)) return;
            bool cancelRequested;
            try { cancelRequested = db.Jobs.AsNoTracking().Any(j => j.Id == job.Id && j.CancelRequested); }
            catch (Exception e) when (DatabaseOutage.IsOutage(e)) { cancelRequested = !shutdown.IsCancellationRequested; }
            if (cancelRequested || !shutdown.IsCancellationRequested)
            {
                Finish(db, job, JobStatus.Cancelled, null);
                return;
            }
            Release(db, job);
        }
        catch (Exception e)
        {
            heartbeat.Dispose();
            if (TakenOver(heartbeat, job)) return;
            string message = errors.ForUser(e, out var reference);
            log.LogError(e, "Job {JobId} failed (reference {Reference})", job.Id, reference);
            Finish(db, job, JobStatus.Failed, message);
        }
        finally
        {
            heartbeat.Dispose();
            running.Finish(job.Id, cts);
        }
    }

    /// <summary>
    /// True when another box took the job over (this box could not renew its lease in time, the database being
    /// unreachable): the job is that box's now, so nothing is recorded here.
    /// </summary>
    private bool TakenOver(JobHeartbeat heartbeat, JobRecord job)
    {
        if (!heartbeat.LeaseLost) return false;
        log.LogWarning("Job {JobId} was taken over by another box while this one could not renew its lease; stopped here", job.Id);
        return true;
    }

    /// <summary>
    /// Records the final status and tells the live views. When the database cannot be written (a full disk: SQLite
    /// lives there too), the outcome waits in <see cref="PendingOutcomes"/> and the sweep records it once it can.
    /// </summary>
    private void Finish(NadaDbContext db, JobRecord job, JobStatus status, string? error)
    {
        job.Status = status;
        job.Error = error;
        job.FinishedAt = clock.GetUtcNow();
        string? server = job.ServerId;
        job.ServerId = null;
        job.LeaseUntil = null;
        var domain = db.ChangeTracker.Entries<DomainRecord>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).FirstOrDefault();
        try
        {
            db.SaveChanges();
        }
        catch (Exception e) when (PendingOutcomes.CannotWriteNow(e))
        {
            log.LogError(e, "Recording that job {JobId} {Status} failed; it is recorded as soon as the database can be written", job.Id, status);
            pending.Add(new PendingOutcome(job.Id, status, error, job.DomainId, domain, job.FinishedAt.Value, server));
        }
        store.SetStatus(job.Id, status, error, job.DomainId);
        log.LogInformation("Job {JobId} {Status}", job.Id, status);
    }

    /// <summary>Puts a job stopped by a shutdown back in the queue; its checkpoint stays, so it resumes.</summary>
    private void Release(NadaDbContext db, JobRecord job)
    {
        try
        {
            db.Jobs.Where(j => j.Id == job.Id && j.Status == JobStatus.Running)
                .ExecuteUpdate(u => u.SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.ServerId, (string?)null)
                    .SetProperty(j => j.LeaseUntil, (DateTimeOffset?)null));
        }
        catch (Exception e) when (DatabaseOutage.IsOutage(e))
        {
            log.LogWarning("Job {JobId} interrupted by shutdown while the database is unreachable; its lease runs out and it resumes from its checkpoint", job.Id);
            return;
        }
        store.SetStatus(job.Id, JobStatus.Queued);
        log.LogInformation("Job {JobId} interrupted by shutdown; back in the queue, it resumes from its checkpoint", job.Id);
    }
}

/// <summary>
/// While a job runs: every <c>Jobs:HeartbeatSeconds</c> renews its lease, adds the time since the last beat to the
/// job's and its owner's GPU time, stores the step reached, and cancels the job when a cancel was recorded by any box.
/// </summary>
public sealed class JobHeartbeat : IDisposable
{
    private readonly IDbContextFactory<NadaDbContext> _dbFactory;
    private readonly Guid _jobId;
    private readonly string _ownerId;
    private readonly string? _server;
    private readonly CancellationTokenSource _cts;
    private readonly JobsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private DateTimeOffset _last;
    private int _step;
    private bool _disposed;

    public JobHeartbeat(IDbContextFactory<NadaDbContext> dbFactory, Guid jobId, string ownerId, string? server, CancellationTokenSource cts,
        ProgressStore store, JobsOptions options, TimeProvider clock, ILogger log)
    {
        (_dbFactory, _jobId, _ownerId, _server, _cts, _options, _clock, _log) = (dbFactory, jobId, ownerId, server, cts, options, clock, log);
        _last = clock.GetUtcNow();
        var period = TimeSpan.FromSeconds(Math.Max(0.2, options.HeartbeatSeconds));
        _timer = new Timer(_ => Beat(), null, period, period);
    }

    /// <summary>
    /// True when the job no longer belongs to this box: its lease ran out (the database was unreachable for longer than
    /// the lease) and another box's sweep gave it to the queue or to itself. The job is then cancelled here.
    /// </summary>
    public bool LeaseLost { get; private set; }

    /// <summary>The step the job reached (called by its progress listener).</summary>
    public void StepReached(int step) => Volatile.Write(ref _step, step);

    private void Beat()
    {
        lock (_gate)
        {
            if (_disposed) return;
            try
            {
                var now = _clock.GetUtcNow();
                double seconds = Math.Max(0, (now - _last).TotalSeconds);
                _last = now;
                var until = now.AddSeconds(Math.Max(5, _options.LeaseSeconds));
                int step = Volatile.Read(ref _step);
                using var db = _dbFactory.CreateDbContext();
                int renewed = db.Jobs.Where(j => j.Id == _jobId && j.Status == JobStatus.Running && j.ServerId == _server).ExecuteUpdate(u => u
                    .SetProperty(j => j.LeaseUntil, until)
                    .SetProperty(j => j.GpuSeconds, j => j.GpuSeconds + seconds)
                    .SetProperty(j => j.StepsDone, j => step > j.StepsDone ? step : j.StepsDone));
                if (renewed == 0)
                {
                    LeaseLost = true;
                    _cts.Cancel();
                    return;
                }
                QuotaService.AddUsageAsync(db, _ownerId, seconds, now).GetAwaiter().GetResult();
                if (db.Jobs.AsNoTracking().Any(j => j.Id == _jobId && j.CancelRequested)) _cts.Cancel();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A database hiccup must not stop the job: the next beat tries again (the lease has slack).
                _log.LogWarning(e, "Heartbeat of job {JobId} failed", _jobId);
            }
        }
    }

    /// <summary>Stops beating after a last beat (so the GPU time up to the end is counted).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
        }
        _timer.Dispose();
        Beat();
        lock (_gate) _disposed = true;
    }
}

/// <summary>A job outcome not yet recorded because the database could not be written.</summary>
public sealed record PendingOutcome(Guid JobId, JobStatus Status, string? Error, Guid? DomainId, DomainRecord? Domain, DateTimeOffset FinishedAt, string? Server);

/// <summary>
/// Outcomes of jobs this box could not record (the database's disk was full). The sweep retries them; until then the
/// job keeps its lease, so no other box takes it over. If this process dies first, the lease runs out and the job is
/// run again from its last checkpoint: nothing is lost either way.
/// </summary>
public sealed class PendingOutcomes
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, PendingOutcome> _pending = new();

    /// <summary>Jobs whose outcome waits.</summary>
    public ICollection<Guid> JobIds => _pending.Keys;

    /// <summary>Shows a job as its outcome says while that is not recorded yet (reads must not say "running" for a job that ended).</summary>
    public JobRecord Overlay(JobRecord job)
    {
        if (!_pending.TryGetValue(job.Id, out var o)) return job;
        (job.Status, job.Error, job.DomainId, job.FinishedAt) = (o.Status, o.Error, o.DomainId, o.FinishedAt);
        return job;
    }

    /// <summary>
    /// Whether recording an outcome failed for a reason that passes (a full disk, an unreachable or refusing database),
    /// so the outcome is kept and written later rather than lost.
    /// </summary>
    public static bool CannotWriteNow(Exception e) =>
        e is DbUpdateException or IOException || DiskSpace.IsDiskFull(e) || DatabaseOutage.IsOutage(e);

    /// <summary>Keeps an outcome to record later.</summary>
    public void Add(PendingOutcome outcome) => _pending[outcome.JobId] = outcome;

    /// <summary>Tries to record every waiting outcome; returns how many were recorded.</summary>
    public int Flush(IDbContextFactory<NadaDbContext> dbFactory, ILogger log)
    {
        int done = 0;
        foreach (var (id, o) in _pending)
        {
            try
            {
                using var db = dbFactory.CreateDbContext();
                if (db.Jobs.AsNoTracking().Any(j => j.Id == id && j.ServerId != null && j.ServerId != o.Server))
                {
                    // Its lease ran out meanwhile and another box runs it again from the last checkpoint: that run's outcome counts.
                    _pending.TryRemove(id, out _);
                    log.LogWarning("Job {JobId} ended here while the database was unreachable, but another box has taken it over; its outcome is left to that box", id);
                    continue;
                }
                if (o.Domain is { } d && !db.Domains.Any(x => x.Id == d.Id)) db.Domains.Add(d);
                var job = db.Jobs.Single(j => j.Id == id);
                (job.Status, job.Error, job.DomainId, job.FinishedAt, job.ServerId, job.LeaseUntil) = (o.Status, o.Error, o.DomainId, o.FinishedAt, null, null);
                db.SaveChanges();
                _pending.TryRemove(id, out _);
                done++;
                log.LogInformation("Recorded the outcome of job {JobId} ({Status}) that waited for the database", id, o.Status);
            }
            catch (Exception e) when (PendingOutcomes.CannotWriteNow(e))
            {
                return done;   // still full or unreachable: the next sweep tries again
            }
        }
        return done;
    }
}
