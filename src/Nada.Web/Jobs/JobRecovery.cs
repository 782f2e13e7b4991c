using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;
using Nada.Web.Progress;

namespace Nada.Web.Jobs;

/// <summary>
/// Nothing a crash leaves behind stays stuck. At start, a box that trains puts the jobs it was running when it stopped
/// (killed, or the power went) back in the queue; they resume from their last good checkpoint. Then, every
/// <c>Jobs:SweepSeconds</c>, any box puts back the running jobs whose lease expired (their box died), and a training box
/// with idle slots takes queued jobs. The database is the queue: a job storage that lost its tickets loses no job.
/// </summary>
public sealed class JobRecovery(
    IDbContextFactory<NadaDbContext> dbFactory,
    JobTickets tickets,
    ServerIdentity server,
    RunningJobs running,
    PendingOutcomes pending,
    RecoveryGate gate,
    ProgressStore store,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobRecovery> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (tickets.LocalSlots == 0) gate.Open();   // a box that trains nothing left no jobs running
        var period = TimeSpan.FromSeconds(Math.Max(0.2, options.Value.SweepSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!gate.IsOpen)
                {
                    await RecoverOwnAsync(stoppingToken);
                    gate.Open();
                }
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "The job sweep failed; it runs again in {Seconds} s", period.TotalSeconds); }
            try { await Task.Delay(period, clock, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>
    /// Jobs this box was running when it stopped go back to the queue at once. Runs before this box claims anything
    /// (<see cref="RecoveryGate"/>), so every running job with this box's name is one of the stopped process.
    /// </summary>
    public async Task RecoverOwnAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.Jobs.Where(j => j.Status == JobStatus.Running && (j.ServerId == server.Name || j.ServerId == null))
            .Select(j => j.Id).ToListAsync(ct);
        await Requeue(db, ids, "was running on this box when it stopped", ct);
        if (await db.Jobs.AnyAsync(j => j.Status == JobStatus.Queued, ct)) tickets.FillIdleSlots();
    }

    /// <summary>Jobs of dead boxes back to the queue; idle slots of this box take queued jobs.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        pending.Flush(dbFactory, log);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        // Jobs this process runs (or has an unrecorded outcome for) are alive whatever their lease says: a heartbeat may
        // have failed while the disk was full.
        var here = pending.JobIds.ToHashSet();
        var expired = (await db.Jobs.Where(j => j.Status == JobStatus.Running && j.LeaseUntil != null && j.LeaseUntil < now)
            .Select(j => j.Id).ToListAsync(ct)).Where(id => !running.IsRunningHere(id) && !here.Contains(id)).ToList();
        await Requeue(db, expired, "lost its box (no heartbeat)", ct);
        if (tickets.LocalSlots > 0 && tickets.Active < tickets.LocalSlots && await db.Jobs.AnyAsync(j => j.Status == JobStatus.Queued && !j.CancelRequested, ct))
            tickets.FillIdleSlots();
    }

    private async Task Requeue(NadaDbContext db, List<Guid> ids, string why, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            // A job whose cancel its box never saw is cancelled now, not run again.
            if (await db.Jobs.Where(j => j.Id == id && j.Status == JobStatus.Running && j.CancelRequested)
                    .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.FinishedAt, clock.GetUtcNow())
                        .SetProperty(j => j.ServerId, (string?)null).SetProperty(j => j.LeaseUntil, (DateTimeOffset?)null), ct) == 1)
            {
                store.SetStatus(id, JobStatus.Cancelled);
                continue;
            }
            // Conditional: a job that finished or was claimed again meanwhile is left alone.
            int n = await db.Jobs.Where(j => j.Id == id && j.Status == JobStatus.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.ServerId, (string?)null)
                    .SetProperty(j => j.LeaseUntil, (DateTimeOffset?)null), ct);
            if (n == 0) continue;
            log.LogWarning("Job {JobId} {Why}: back in the queue, it resumes from its last checkpoint", id, why);
            store.SetStatus(id, JobStatus.Queued);
        }
    }
}
