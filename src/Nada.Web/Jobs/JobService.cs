using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Images;
using Nada.Web.Options;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Jobs;

/// <summary>The outcome of a submission: a job id, or messages for the user.</summary>
/// <param name="JobId">The new job, when accepted.</param>
/// <param name="Errors">Field messages, keyed by field name ("" for the whole form).</param>
/// <param name="TooMany">True when refused by the queue limit or the rate limit.</param>
public sealed record SubmitResult(Guid? JobId, IReadOnlyDictionary<string, string> Errors, bool TooMany = false);

/// <summary>Submits, lists, cancels and administers jobs, with the access rules applied.</summary>
public sealed class JobService(
    IDbContextFactory<NadaDbContext> dbFactory,
    IBackgroundJobClient hangfire,
    SubmitValidator validator,
    StyleImageSanitizer sanitizer,
    ProgressStore store,
    RunningJobs running,
    DataPaths paths,
    IOptions<LimitsOptions> limits,
    TimeProvider clock)
{
    /// <summary>Serialises limit checks and inserts (of every job kind) so concurrent submissions cannot slip past the limits.</summary>
    internal static readonly SemaphoreSlim SubmitLock = new(1, 1);

    /// <summary>The queue-limit or rate-limit message for a user about to submit, or null when allowed. Call under <see cref="SubmitLock"/>.</summary>
    internal static async Task<string?> LimitErrorAsync(NadaDbContext db, string userId, LimitsOptions l, DateTimeOffset now, CancellationToken ct)
    {
        var active = await db.Jobs.CountAsync(j => j.OwnerId == userId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), ct);
        if (active >= l.MaxQueuedPerUser)
            return $"You already have {active} jobs queued or running (the limit is {l.MaxQueuedPerUser}). Wait for one to finish or cancel one.";
        var since = now.AddMinutes(-1);
        var recent = await db.Jobs.CountAsync(j => j.OwnerId == userId && j.CreatedAt > since, ct);
        if (recent >= l.SubmissionsPerMinute)
            return $"You submitted {recent} jobs in the last minute (the limit is {l.SubmissionsPerMinute}). Try again in a minute.";
        return null;
    }

    /// <summary>Validates, applies the per-user limits, sanitises uploads, records and enqueues a job.</summary>
    public async Task<SubmitResult> SubmitAsync(ClaimsPrincipal user, SubmitInput input, CancellationToken ct = default)
    {
        var userId = user.UserId() ?? throw new UnauthorizedAccessException("Sign in to submit jobs.");
        var errors = validator.Validate(input);
        if (errors.Count > 0) return new SubmitResult(null, errors);

        var jobId = Guid.NewGuid();
        var pngs = new List<byte[]>();
        foreach (var (img, i) in input.StyleImages.Select((x, i) => (x, i)))
        {
            try { pngs.Add(sanitizer.ToPng(img.FileName, img.Bytes)); }
            catch (InvalidImageException e) { errors[nameof(input.StyleImages)] = e.Message; }
        }
        if (errors.Count > 0) return new SubmitResult(null, errors);

        await SubmitLock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = clock.GetUtcNow();
            if (await LimitErrorAsync(db, userId, limits.Value, now, ct) is { } tooMany)
                return new SubmitResult(null, new Dictionary<string, string> { [""] = tooMany }, TooMany: true);

            var uploadDir = paths.UploadDir(jobId);
            var styleFiles = new List<string>();
            for (var i = 0; i < pngs.Count; i++)
            {
                Directory.CreateDirectory(uploadDir);
                var file = Path.Combine(uploadDir, $"style-{i}.png");
                await File.WriteAllBytesAsync(file, pngs[i], ct);
                styleFiles.Add(paths.ToRelative(file));
            }
            var spec = new JobSpec
            {
                Generator = input.Generator,
                ClipModels = input.ClipModels.ToList(),
                ClipWeights = input.ClipWeights?.ToList() ?? [],
                SourceText = input.SourceText.Trim(),
                TargetText = input.TargetText.Trim(),
                Iterations = input.Iterations,
                StyleImages = styleFiles,
                Options = input.Options,
            };
            var job = new JobRecord
            {
                Id = jobId,
                OwnerId = userId,
                Status = JobStatus.Queued,
                SpecJson = JsonSerializer.Serialize(spec),
                Title = spec.Title,
                CreatedAt = now,
            };
            db.Jobs.Add(job);
            await db.SaveChangesAsync(ct);
            store.SetStatus(jobId, JobStatus.Queued);
            job.HangfireId = Enqueue(hangfire, job);
            await db.SaveChangesAsync(ct);
            return new SubmitResult(jobId, errors);
        }
        finally
        {
            SubmitLock.Release();
        }
    }

    /// <summary>A job the user may see (owner or admin), or null.</summary>
    public async Task<JobRecord?> GetAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().Include(j => j.Owner).SingleOrDefaultAsync(j => j.Id == jobId, ct);
        return job is not null && user.CanManage(job.OwnerId) ? job : null;
    }

    /// <summary>A job's status regardless of who asks (callers check access first), or null.</summary>
    public async Task<JobStatus?> StatusAsync(Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, ct);
        return job?.Status;
    }

    /// <summary>The user's jobs, newest first; all jobs for an admin who asks for them.</summary>
    public async Task<List<JobRecord>> ListAsync(ClaimsPrincipal user, bool all = false, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Jobs.AsNoTracking().Include(j => j.Owner).AsQueryable();
        if (!(all && user.IsAdmin()))
        {
            var id = user.UserId();
            q = q.Where(j => j.OwnerId == id);
        }
        return await q.OrderByDescending(j => j.CreatedAt).Take(500).ToListAsync(ct);
    }

    /// <summary>1-based place in the queue of a queued job (jobs queued before it, plus one), or null when not queued.</summary>
    public async Task<int?> QueuePositionAsync(Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status != JobStatus.Queued) return null;
        var created = job.CreatedAt;
        return 1 + await db.Jobs.CountAsync(j => j.Status == JobStatus.Queued && j.CreatedAt < created, ct);
    }

    /// <summary>Cancels a queued or running job of the user (or any job, for an admin). False when not found or not allowed.</summary>
    public async Task<bool> CancelAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || !user.CanManage(job.OwnerId)) return false;
        if (job.Status is not (JobStatus.Queued or JobStatus.Running)) return true;
        job.CancelRequested = true;
        var runsHere = running.IsRunningHere(jobId);
        if (job.Status == JobStatus.Queued || !runsHere)
        {
            // Not running in this process: either still queued, or left over by a stopped server.
            job.Status = JobStatus.Cancelled;
            job.FinishedAt = clock.GetUtcNow();
        }
        await db.SaveChangesAsync(ct);
        if (job.Status == JobStatus.Cancelled) store.SetStatus(jobId, JobStatus.Cancelled);
        running.Cancel(jobId);
        if (job.HangfireId is not null) hangfire.Delete(job.HangfireId);
        return true;
    }

    /// <summary>Admin: puts a failed or cancelled job back in the queue (it resumes from its checkpoint, if any).</summary>
    public async Task<bool> RequeueAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        if (!user.IsAdmin()) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status is not (JobStatus.Failed or JobStatus.Cancelled)) return false;
        job.Status = JobStatus.Queued;
        job.CancelRequested = false;
        job.Error = null;
        job.FinishedAt = null;
        job.CreatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        store.SetStatus(jobId, JobStatus.Queued);
        job.HangfireId = Enqueue(hangfire, job);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Admin: deletes a finished job and its run files (its domain, if any, stays in the gallery).</summary>
    public async Task<bool> DeleteAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        if (!user.IsAdmin()) return false;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status is JobStatus.Queued or JobStatus.Running) return false;
        db.Jobs.Remove(job);
        await db.SaveChangesAsync(ct);
        if (job.HangfireId is not null) hangfire.Delete(job.HangfireId);
        store.Forget(jobId);
        foreach (var dir in new[] { paths.RunDir(jobId), paths.UploadDir(jobId) })
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return true;
    }

    /// <summary>Puts a job on the gpu queue, as the Hangfire job of its kind; returns the Hangfire id.</summary>
    internal static string Enqueue(IBackgroundJobClient hangfire, JobRecord job)
    {
        var jobId = job.Id;
        return job.Kind == JobKind.Adaptation
            ? hangfire.Create<AdaptationJob>(j => j.Run(jobId, CancellationToken.None), new EnqueuedState("gpu"))
            : hangfire.Create<Edits.EditJob>(j => j.Run(jobId, CancellationToken.None), new EnqueuedState("gpu"));
    }
}
