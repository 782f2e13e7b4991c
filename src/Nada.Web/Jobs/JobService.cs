using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nada.Web.Data;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Jobs;

/// <summary>The outcome of a submission: a job id, or messages for the user.</summary>
/// <param name="JobId">The new job, when accepted.</param>
/// <param name="Errors">Field messages, keyed by field name ("" for the whole form).</param>
/// <param name="TooMany">True when refused by a limit (queue, quota, rate).</param>
public sealed record SubmitResult(Guid? JobId, IReadOnlyDictionary<string, string> Errors, bool TooMany = false);

/// <summary>A job with where it stands in the queue.</summary>
/// <param name="Position">1-based place in the fair-share order while queued.</param>
/// <param name="EstimatedStart">When it should start, if it can be estimated.</param>
public sealed record QueuePlace(int Position, DateTimeOffset? EstimatedStart);

/// <summary>
/// Every job of every kind: submit (limits first, then the kind's checks, then one conditional insert), list, look up
/// (owner or admin; others get nothing, as for a random id), cancel, and the admin's re-queue, delete and priority.
/// </summary>
public sealed class JobService(
    IDbContextFactory<NadaDbContext> dbFactory,
    JobKinds kinds,
    QuotaService quotas,
    DiskReserve disk,
    JobDispatcher dispatcher,
    JobTickets tickets,
    ProgressStore store,
    RunningJobs running,
    PendingOutcomes pending,
    DataPaths paths,
    TimeProvider clock,
    ClientLimits clients)
{
    /// <summary>Serialises limit checks and inserts so concurrent submissions cannot slip past the limits (on this box).</summary>
    private static readonly SemaphoreSlim SubmitLock = new(1, 1);

    /// <summary>Submits an adaptation.</summary>
    public Task<SubmitResult> SubmitAsync(ClaimsPrincipal user, AdaptationInput input, CancellationToken ct = default) =>
        SubmitAsync(user, kinds.Get<AdaptationKind>(), input, ct);

    /// <summary>Submits a latent edit or a photo inversion (by <see cref="EditInput.Kind"/>).</summary>
    public Task<SubmitResult> SubmitAsync(ClaimsPrincipal user, EditInput input, CancellationToken ct = default) => input.Kind switch
    {
        JobKind.LatentEdit => SubmitAsync(user, kinds.Get<LatentEditKind>(), input, ct),
        JobKind.PhotoInvert => SubmitAsync(user, kinds.Get<PhotoInversionKind>(), input, ct),
        _ => Task.FromResult(new SubmitResult(null, new Dictionary<string, string> { ["Kind"] = "An edit job is a latent edit or a photo inversion." })),
    };

    /// <summary>Submits a job of <paramref name="kind"/>: limits, the kind's checks and sanitising, the record, the queue.</summary>
    public async Task<SubmitResult> SubmitAsync(ClaimsPrincipal user, IJobKind kind, object input, CancellationToken ct = default)
    {
        var userId = user.UserId() ?? throw new UnauthorizedAccessException("Sign in to submit jobs.");
        if (disk.Refusal is { } full) return new SubmitResult(null, new Dictionary<string, string> { [""] = full }, TooMany: true);
        // Limits first: a refused submission costs no decoding or validation.
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            if (await quotas.RefusalAsync(db, userId, ct) is { } refusal)
                return new SubmitResult(null, new Dictionary<string, string> { [""] = refusal }, TooMany: true);
        // Beside the account's limits, the client address's (all its accounts together).
        if (clients.SubmissionRefusal(user) is { } clientRefusal)
            return new SubmitResult(null, new Dictionary<string, string> { [""] = clientRefusal }, TooMany: true);

        var prepared = await kind.PrepareAsync(user, input, ct);
        if (prepared.Job is not { } job) return new SubmitResult(null, prepared.Errors.ToDictionary(e => e.Key, e => e.Value));

        var jobId = Guid.NewGuid();
        await SubmitLock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (await quotas.RefusalAsync(db, userId, ct) is { } refusal)
                return new SubmitResult(null, new Dictionary<string, string> { [""] = refusal }, TooMany: true);
            var layout = paths.Run(jobId);
            foreach (var file in job.Inputs)
                Nada.Core.Runs.RunLayout.WriteAtomic(Path.Combine(layout.InputsDir, file.FileName), file.Bytes);
            db.Jobs.Add(new JobRecord
            {
                Id = jobId,
                Kind = kind.Kind,
                OwnerId = userId,
                Status = JobStatus.Queued,
                SpecJson = JsonSerializer.Serialize(job.Spec, job.Spec.GetType(), JobSpecs.Json),
                Title = job.Title,
                TotalSteps = job.TotalSteps,
                CreatedAt = clock.GetUtcNow(),
            });
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            SubmitLock.Release();
        }
        store.SetStatus(jobId, JobStatus.Queued);
        tickets.Signal();
        return new SubmitResult(jobId, new Dictionary<string, string>());
    }

    /// <summary>A job the user may see (owner or admin), or null.</summary>
    public async Task<JobRecord?> GetAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().Include(j => j.Owner).SingleOrDefaultAsync(j => j.Id == jobId, ct);
        return job is not null && user.CanManage(job.OwnerId) ? pending.Overlay(job) : null;
    }

    /// <summary>A job's status regardless of who asks (callers check access first), or null.</summary>
    public async Task<JobStatus?> StatusAsync(Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, ct))?.Status;
    }

    /// <summary>The user's jobs (of the given kinds, all when null), newest first; all users' for an admin who asks.</summary>
    public async Task<List<JobRecord>> ListAsync(ClaimsPrincipal user, bool all = false, IReadOnlyCollection<JobKind>? ofKinds = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Jobs.AsNoTracking().Include(j => j.Owner).AsQueryable();
        if (!(all && user.IsAdmin()))
        {
            var id = user.UserId();
            q = q.Where(j => j.OwnerId == id);
        }
        if (ofKinds is { Count: > 0 }) q = q.Where(j => ofKinds.Contains(j.Kind));
        return (await q.OrderByDescending(j => j.CreatedAt).Take(500).ToListAsync(ct)).Select(pending.Overlay).ToList();
    }

    /// <summary>Where every queued job stands: its place in the fair-share order and its estimated start.</summary>
    public async Task<IReadOnlyDictionary<Guid, QueuePlace>> QueueAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var forecast = await dispatcher.ForecastAsync(db, tickets.TrainingSlots, ct);
        return forecast.ToDictionary(f => f.Key,
            f => new QueuePlace(f.Value.Position, f.Value.EstimatedStart == DateTimeOffset.MaxValue ? null : f.Value.EstimatedStart));
    }

    /// <summary>Where one queued job stands, or null when it is not queued.</summary>
    public async Task<QueuePlace?> PlaceAsync(Guid jobId, CancellationToken ct = default) =>
        (await QueueAsync(ct)).TryGetValue(jobId, out var p) ? p : null;

    /// <summary>Cancels a queued or running job of the user (or any job, for an admin). False when not found or not allowed.</summary>
    public async Task<bool> CancelAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !user.CanManage(job.OwnerId)) return false;
        if (job.Status is not (JobStatus.Queued or JobStatus.Running)) return true;
        job.CancelRequested = true;
        if (job.Status == JobStatus.Queued)
        {
            job.Status = JobStatus.Cancelled;
            job.FinishedAt = clock.GetUtcNow();
        }
        await db.SaveChangesAsync(ct);
        if (job.Status == JobStatus.Cancelled) store.SetStatus(jobId, JobStatus.Cancelled);
        // Running here: stop it now; running on another box: its heartbeat sees the flag within seconds.
        running.Cancel(jobId);
        return true;
    }

    /// <summary>Admin: puts a failed or cancelled job back in the queue (it resumes from its checkpoint, if any).</summary>
    public async Task<bool> RequeueAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        if (!user.IsAdmin()) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        int n = await db.Jobs.Where(j => j.Id == jobId && (j.Status == JobStatus.Failed || j.Status == JobStatus.Cancelled))
            .ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, JobStatus.Queued)
                .SetProperty(j => j.CancelRequested, false)
                .SetProperty(j => j.Error, (string?)null)
                .SetProperty(j => j.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(j => j.ServerId, (string?)null)
                .SetProperty(j => j.CreatedAt, clock.GetUtcNow()), ct);
        if (n == 0) return false;
        store.SetStatus(jobId, JobStatus.Queued);
        tickets.Signal();
        return true;
    }

    /// <summary>Admin: sets a job's priority (higher runs first, before fair shares). False when not found.</summary>
    public async Task<bool> SetPriorityAsync(ClaimsPrincipal user, Guid jobId, int priority, CancellationToken ct = default)
    {
        if (!user.IsAdmin()) return false;
        if (priority is < -100 or > 100) throw new ArgumentException($"Priorities go from -100 to 100 (got {priority}).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        bool found = await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(u => u.SetProperty(j => j.Priority, priority), ct) == 1;
        if (found) store.Touch(jobId);
        return found;
    }

    /// <summary>
    /// Deletes a finished job of the user (any, for an admin) and its run folder: previews, losses, an edit's results.
    /// Its domain, if any, stays in the gallery. False when not found, not allowed, or still queued or running.
    /// </summary>
    public async Task<bool> DeleteAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !user.CanManage(job.OwnerId) || job.Status is JobStatus.Queued or JobStatus.Running) return false;
        db.Jobs.Remove(job);
        await db.SaveChangesAsync(ct);
        store.Forget(jobId);
        foreach (var dir in new[] { paths.RunDir(jobId), paths.LegacyUploadDir(jobId) })
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return true;
    }
}
