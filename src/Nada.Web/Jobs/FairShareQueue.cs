using Nada.Web.Data;

namespace Nada.Web.Jobs;

/// <summary>A queued job as the fair-share order sees it.</summary>
public sealed record QueuedJob(Guid Id, string OwnerId, int Priority, DateTimeOffset CreatedAt, JobKind Kind, int TotalSteps);

/// <summary>A running job as the forecast sees it.</summary>
public sealed record RunningJob(Guid Id, string OwnerId, JobKind Kind, int TotalSteps, int StepsDone);

/// <summary>What the order needs to know about a user: recent GPU time, and the limits that hold their jobs back.</summary>
/// <param name="RecentGpuSeconds">GPU seconds over the fair-share window.</param>
/// <param name="MaxRunning">Jobs the user may run at once (null: no limit).</param>
/// <param name="QuotaResetsAt">When the user's exhausted daily quota resets; null when they have quota left.</param>
public sealed record UserShare(double RecentGpuSeconds, int? MaxRunning, DateTimeOffset? QuotaResetsAt);

/// <summary>A queued job's place and estimated start.</summary>
public sealed record QueueForecast(Guid JobId, int Position, DateTimeOffset EstimatedStart);

/// <summary>
/// Fair shares between users. The next job to start is the eligible queued job with the highest priority, then of
/// the user with the least GPU time used recently, then the oldest; a user at their running limit or out of daily
/// quota waits. With one user (or equal priorities and usage) this is first come, first served. The forecast runs the
/// same rule forward in time on estimated durations, so a queue position is the order the jobs will really start in
/// (as far as the estimates hold).
/// </summary>
public static class FairShareQueue
{
    /// <summary>The order among jobs that may start now.</summary>
    public static IEnumerable<QueuedJob> Order(IEnumerable<QueuedJob> queued, Func<string, double> recentSeconds) =>
        queued.OrderByDescending(j => j.Priority).ThenBy(j => recentSeconds(j.OwnerId)).ThenBy(j => j.CreatedAt).ThenBy(j => j.Id);

    /// <summary>The jobs that may start now, in the order they should be tried.</summary>
    public static IReadOnlyList<QueuedJob> Candidates(IReadOnlyList<QueuedJob> queued, IReadOnlyDictionary<string, int> runningByUser,
        Func<string, UserShare> share, DateTimeOffset now)
    {
        bool Eligible(QueuedJob j)
        {
            var s = share(j.OwnerId);
            if (s.QuotaResetsAt is { } reset && reset > now) return false;
            return s.MaxRunning is not { } max || runningByUser.GetValueOrDefault(j.OwnerId) < max;
        }
        return Order(queued.Where(Eligible), u => share(u).RecentGpuSeconds).ToList();
    }

    /// <summary>
    /// Positions and start estimates of every queued job: the dispatcher's rule run forward over <paramref name="slots"/>
    /// job slots, running jobs finishing at their estimated times, each started job adding its estimated duration to its
    /// owner's recent usage.
    /// </summary>
    public static IReadOnlyList<QueueForecast> Forecast(IReadOnlyList<QueuedJob> queued, IReadOnlyList<RunningJob> running,
        Func<string, UserShare> share, int slots, Func<JobKind, double> secondsPerStep, DateTimeOffset now)
    {
        var usage = new Dictionary<string, double>();
        double Usage(string u) => usage.TryGetValue(u, out var v) ? v : usage[u] = share(u).RecentGpuSeconds;
        var runningByUser = running.GroupBy(r => r.OwnerId).ToDictionary(g => g.Key, g => g.Count());
        // Each slot: when it frees and whose job holds it until then. A running job's remaining time counts for its owner
        // already: when it ends (the first moment the dispatcher chooses again) its owner will have used it.
        var slotList = new List<(DateTimeOffset FreeAt, string? Owner)>();
        foreach (var r in running)
        {
            double remaining = Math.Max(0, r.TotalSteps - r.StepsDone) * secondsPerStep(r.Kind);
            usage[r.OwnerId] = Usage(r.OwnerId) + remaining;
            slotList.Add((now.AddSeconds(remaining), r.OwnerId));
        }
        while (slotList.Count < Math.Max(1, slots)) slotList.Add((now, null));

        var pending = queued.ToList();
        var result = new List<QueueForecast>();
        while (pending.Count > 0)
        {
            int idx = 0;
            for (int i = 1; i < slotList.Count; i++) if (slotList[i].FreeAt < slotList[idx].FreeAt) idx = i;
            var (t, owner) = slotList[idx];
            if (owner is not null)
            {
                runningByUser[owner] = runningByUser.GetValueOrDefault(owner) - 1;
                slotList[idx] = (t, null);
            }
            var pick = Order(pending.Where(j => Eligible(j, t)), Usage).FirstOrDefault();
            if (pick is null)
            {
                // Nothing may start now: this slot waits for the next slot to free or the earliest quota reset.
                var later = slotList.Select(s => s.FreeAt).Concat(pending.Select(j => share(j.OwnerId).QuotaResetsAt ?? t))
                    .Where(x => x > t).ToList();
                if (later.Count == 0) break;   // nothing will ever change: the rest get no estimate
                slotList[idx] = (later.Min(), null);
                continue;
            }
            pending.Remove(pick);
            double duration = pick.TotalSteps * secondsPerStep(pick.Kind);
            result.Add(new QueueForecast(pick.Id, result.Count + 1, t));
            usage[pick.OwnerId] = Usage(pick.OwnerId) + duration;
            runningByUser[pick.OwnerId] = runningByUser.GetValueOrDefault(pick.OwnerId) + 1;
            slotList[idx] = (t.AddSeconds(duration), pick.OwnerId);
        }
        // Jobs that cannot start under the limits keep their order at the end, with no estimate.
        foreach (var j in Order(pending, Usage))
            result.Add(new QueueForecast(j.Id, result.Count + 1, DateTimeOffset.MaxValue));
        return result;

        bool Eligible(QueuedJob j, DateTimeOffset at)
        {
            var s = share(j.OwnerId);
            if (s.QuotaResetsAt is { } reset && reset > at) return false;
            return s.MaxRunning is not { } max || runningByUser.GetValueOrDefault(j.OwnerId) < max;
        }
    }
}
