using Microsoft.EntityFrameworkCore;
using Nada.Core.Adaptation;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Progress;

namespace Nada.Web.Jobs;

/// <summary>
/// The steps every GPU job takes around its engine call: claim the row (so a cancel that lands meanwhile is never
/// overwritten), register the in-process cancellation, tell a cancel from a shutdown, record the final status.
/// </summary>
public sealed class JobLifecycle(ProgressStore store, RunningJobs running, ILogger<JobLifecycle> logger)
{
    /// <summary>
    /// Claims job <paramref name="job"/> for this run in one conditional update. False when it is cancelled (marked so)
    /// or already finished; the caller then returns.
    /// </summary>
    public bool TryClaim(NadaDbContext db, JobRecord job)
    {
        if (job.CancelRequested)
        {
            MarkFinished(db, job, JobStatus.Cancelled, null);
            return false;
        }
        var now = DateTimeOffset.UtcNow;
        var claimed = db.Jobs
            .Where(j => j.Id == job.Id && !j.CancelRequested && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .ExecuteUpdate(u => u
                .SetProperty(j => j.Status, JobStatus.Running)
                .SetProperty(j => j.StartedAt, j => j.StartedAt ?? now)
                .SetProperty(j => j.Attempts, j => j.Attempts + 1));
        db.Entry(job).Reload();
        if (claimed == 0)
        {
            logger.LogInformation("Job {JobId} was cancelled before it started", job.Id);
            if (job.Status is JobStatus.Queued or JobStatus.Running) MarkFinished(db, job, JobStatus.Cancelled, null);
            return false;
        }
        store.SetStatus(job.Id, JobStatus.Running);
        return true;
    }

    /// <summary>
    /// Runs the engine call with a token that fires on cancel, delete or shutdown. True when it finished; false when
    /// it was cancelled (the job is marked Cancelled). Rethrows on shutdown, leaving the row Running so the job runs
    /// again on the next start; marks the job Failed (with <paramref name="userMessage"/> of the error) and rethrows on failure.
    /// </summary>
    public bool Run(NadaDbContext db, JobRecord job, CancellationToken hangfireToken, Action<CancellationToken> work,
        Func<Exception, string>? userMessage = null)
    {
        var cts = running.Start(job.Id, hangfireToken);
        // A cancel between the claim and the registration above did not reach this token: look once more.
        if (db.Jobs.AsNoTracking().Any(j => j.Id == job.Id && j.CancelRequested)) cts.Cancel();
        try
        {
            work(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            db.Entry(job).Reload();
            if (job.CancelRequested || !hangfireToken.IsCancellationRequested)
            {
                MarkFinished(db, job, JobStatus.Cancelled, null);
                return false;
            }
            logger.LogInformation("Job {JobId} interrupted by shutdown; it runs again on the next start", job.Id);
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} failed", job.Id);
            MarkFinished(db, job, JobStatus.Failed, userMessage?.Invoke(e) ?? e.Message);
            throw;
        }
        finally
        {
            running.Finish(job.Id, cts);
        }
    }

    /// <summary>Records the final status and tells the live views.</summary>
    public void MarkFinished(NadaDbContext db, JobRecord job, JobStatus status, string? error)
    {
        job.Status = status;
        job.Error = error;
        job.FinishedAt = DateTimeOffset.UtcNow;
        db.SaveChanges();
        store.SetStatus(job.Id, status, error, job.DomainId);
        logger.LogInformation("Job {JobId} {Status}", job.Id, status);
    }

    /// <summary>The CLIP files and weights of a job's catalog ids; a model removed since submission is a clear error.</summary>
    public static List<ClipModelChoice> ClipChoices(IModelCatalog catalog, IReadOnlyList<string> ids, IReadOnlyList<float> weights) =>
        ids.Select((id, i) =>
        {
            var m = catalog.ClipModels().FirstOrDefault(c => c.Id == id)
                ?? throw new InvalidOperationException($"The CLIP model '{id}' is no longer in the models folder.");
            return new ClipModelChoice(m.Path, weights.Count > i ? weights[i] : 1f);
        }).ToList();
}
