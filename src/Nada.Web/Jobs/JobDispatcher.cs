using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>
/// Picks and claims the next job to run, fairly (<see cref="FairShareQueue"/>), and tells everyone where queued jobs
/// stand (positions and estimated starts from the same rule). Claiming is one conditional update per candidate
/// (queued and not cancelled, to running with this box's name and a lease), so two workers or two boxes never claim
/// the same job.
/// </summary>
public sealed class JobDispatcher(QuotaService quotas, ServerIdentity server, DiskReserve disk, IOptions<JobsOptions> options, TimeProvider clock, ILogger<JobDispatcher> log)
{
    private DateTimeOffset _lastDiskWarning;

    /// <summary>How long a claim or a heartbeat vouches for a running job.</summary>
    public TimeSpan Lease => TimeSpan.FromSeconds(Math.Max(5, options.Value.LeaseSeconds));

    /// <summary>Claims the next job for this box, or null when none may start now.</summary>
    public async Task<JobRecord?> ClaimNextAsync(NadaDbContext db, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var queued = await QueuedAsync(db, ct);
        if (queued.Count == 0) return null;
        if (disk.IsLow)
        {
            if (now - _lastDiskWarning > TimeSpan.FromMinutes(1))
            {
                _lastDiskWarning = now;
                log.LogWarning("{Queued} jobs wait: the data folder's disk has {Free} bytes free, below the reserve of {Reserve}", queued.Count, disk.Free, disk.Reserve);
            }
            return null;
        }
        var runningByUser = (await db.Jobs.Where(j => j.Status == JobStatus.Running).Select(j => j.OwnerId).ToListAsync(ct))
            .GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var share = await SharesAsync(db, ct);
        foreach (var candidate in FairShareQueue.Candidates(queued, runningByUser, share, now))
        {
            var until = now + Lease;
            int claimed = await db.Jobs
                .Where(j => j.Id == candidate.Id && j.Status == JobStatus.Queued && !j.CancelRequested)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(j => j.Status, JobStatus.Running)
                    .SetProperty(j => j.ServerId, server.Name)
                    .SetProperty(j => j.LeaseUntil, until)
                    .SetProperty(j => j.StartedAt, j => j.StartedAt ?? now)
                    .SetProperty(j => j.Attempts, j => j.Attempts + 1), ct);
            if (claimed == 1)
            {
                log.LogInformation("Claimed job {JobId} of {Owner} on {Server}", candidate.Id, candidate.OwnerId, server.Name);
                return await db.Jobs.SingleAsync(j => j.Id == candidate.Id, ct);
            }
        }
        return null;
    }

    /// <summary>Positions and estimated starts of every queued job, with the slots of the boxes that train.</summary>
    public async Task<IReadOnlyDictionary<Guid, QueueForecast>> ForecastAsync(NadaDbContext db, int slots, CancellationToken ct = default)
    {
        var queued = await QueuedAsync(db, ct);
        if (queued.Count == 0) return new Dictionary<Guid, QueueForecast>();
        var running = await db.Jobs.AsNoTracking().Where(j => j.Status == JobStatus.Running)
            .Select(j => new RunningJob(j.Id, j.OwnerId, j.Kind, j.TotalSteps, j.StepsDone)).ToListAsync(ct);
        var share = await SharesAsync(db, ct);
        var rates = await SecondsPerStepAsync(db, ct);
        return FairShareQueue.Forecast(queued, running, share, Math.Max(1, slots), k => rates.GetValueOrDefault(k, DefaultSecondsPerStep), clock.GetUtcNow())
            .ToDictionary(f => f.JobId);
    }

    /// <summary>Seconds per step assumed for a kind with no finished job yet.</summary>
    public const double DefaultSecondsPerStep = 1.0;

    private static async Task<List<QueuedJob>> QueuedAsync(NadaDbContext db, CancellationToken ct) =>
        await db.Jobs.AsNoTracking().Where(j => j.Status == JobStatus.Queued && !j.CancelRequested)
            .OrderBy(j => j.CreatedAt).Take(2000)
            .Select(j => new QueuedJob(j.Id, j.OwnerId, j.Priority, j.CreatedAt, j.Kind, j.TotalSteps)).ToListAsync(ct);

    private async Task<Func<string, UserShare>> SharesAsync(NadaDbContext db, CancellationToken ct)
    {
        var recent = await quotas.RecentUsageAsync(db, ct);
        var today = await quotas.TodayUsageAsync(db, ct);
        var limits = await quotas.LimitsAsync(db, ct);
        var reset = QuotaService.NextReset(clock.GetUtcNow());
        return user =>
        {
            var l = limits(user);
            bool outOfQuota = l.GpuMinutesPerDay is { } m && today.GetValueOrDefault(user) >= m * 60;
            return new UserShare(recent.GetValueOrDefault(user), l.MaxRunning, outOfQuota ? reset : null);
        };
    }

    /// <summary>Average seconds per step of the recent finished jobs of each kind.</summary>
    private static async Task<Dictionary<JobKind, double>> SecondsPerStepAsync(NadaDbContext db, CancellationToken ct)
    {
        var recent = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Succeeded && j.GpuSeconds > 0 && j.TotalSteps > 0)
            .OrderByDescending(j => j.CreatedAt).Take(200)
            .Select(j => new { j.Kind, j.GpuSeconds, j.TotalSteps }).ToListAsync(ct);
        return recent.GroupBy(j => j.Kind).ToDictionary(g => g.Key, g => g.Take(20).Average(j => j.GpuSeconds / j.TotalSteps));
    }
}

/// <summary>This box's name among the boxes that share a database (<c>Jobs:ServerName</c>, default the machine name).</summary>
public sealed class ServerIdentity(IOptions<JobsOptions> options)
{
    /// <summary>The name written on the jobs this box runs.</summary>
    public string Name { get; } = string.IsNullOrWhiteSpace(options.Value.ServerName) ? Environment.MachineName : options.Value.ServerName!;
}
