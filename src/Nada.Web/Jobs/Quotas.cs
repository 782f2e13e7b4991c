using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>The limits of one role. Null: no limit.</summary>
public sealed class RoleLimits
{
    /// <summary>Jobs queued or running at once.</summary>
    public int? MaxQueued { get; set; }
    /// <summary>Jobs running at once.</summary>
    public int? MaxRunning { get; set; }
    /// <summary>GPU minutes per UTC day.</summary>
    public double? GpuMinutesPerDay { get; set; }
}

/// <summary>
/// Per-role limits (section "Quotas"): the defaults of each role; an admin's changes (stored in the database) replace
/// them. A user gets the most generous limit of their roles (a user without roles is in "User").
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    /// <summary>Limits by role name.</summary>
    public Dictionary<string, RoleLimits> Roles { get; set; } = new()
    {
        [Data.Roles.User] = new RoleLimits { MaxQueued = 3 },
        [Data.Roles.Admin] = new RoleLimits(),
    };

    /// <summary>UTC days of GPU use that count as "recent" for fair shares (today and the days before it).</summary>
    public int FairShareDays { get; set; } = 2;
}

/// <summary>The limits a user has (the most generous of their roles' limits).</summary>
public sealed record EffectiveLimits(int? MaxQueued, int? MaxRunning, double? GpuMinutesPerDay);

/// <summary>Where a user stands against their limits.</summary>
/// <param name="Limits">Their limits.</param>
/// <param name="Queued">Jobs queued.</param>
/// <param name="Running">Jobs running.</param>
/// <param name="GpuSecondsToday">GPU seconds used today (UTC).</param>
/// <param name="ResetsAt">When today's GPU quota resets (00:00 UTC).</param>
public sealed record QuotaStatus(EffectiveLimits Limits, int Queued, int Running, double GpuSecondsToday, DateTimeOffset ResetsAt)
{
    /// <summary>GPU minutes left today, or null without a daily limit.</summary>
    public double? GpuMinutesLeft => Limits.GpuMinutesPerDay is { } m ? Math.Max(0, m - GpuSecondsToday / 60) : null;

    /// <summary>Further jobs the user may queue now, or null without a limit.</summary>
    public int? JobsLeft => Limits.MaxQueued is { } q ? Math.Max(0, q - Queued - Running) : null;
}

/// <summary>One row of the admins' usage table.</summary>
public sealed record UserUsageRow(string UserId, string Email, IReadOnlyList<string> Roles, int Queued, int Running, double GpuSecondsToday, double GpuSecondsRecent, EffectiveLimits Limits);

/// <summary>One role's limits as an admin sees and edits them.</summary>
public sealed record RoleLimitsRow(string Role, int? MaxQueued, int? MaxRunning, double? GpuMinutesPerDay, bool Customised);

/// <summary>
/// Per-role limits and GPU-time accounting: what a user may still submit, how much GPU time they used (the basis of
/// fair shares), and the messages that say which limit refused a job and when it resets.
/// </summary>
public sealed class QuotaService(IDbContextFactory<NadaDbContext> dbFactory, IOptions<QuotaOptions> options, IOptions<LimitsOptions> limits,
    DataPaths paths, TimeProvider clock)
{
    /// <summary>Bytes the user's run folders and gallery domains take on disk.</summary>
    public async Task<long> DiskBytesAsync(NadaDbContext db, string userId, CancellationToken ct = default)
    {
        var jobs = await db.Jobs.Where(j => j.OwnerId == userId).Select(j => j.Id).ToListAsync(ct);
        var domains = await db.Domains.Where(d => d.OwnerId == userId).Select(d => d.Directory).ToListAsync(ct);
        long total = 0;
        foreach (var dir in jobs.Select(paths.RunDir).Concat(domains.Select(d => Path.Combine(paths.DataDir, d))))
            total += FolderBytes(dir);
        return total;
    }

    private static long FolderBytes(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        try { return new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    /// <summary>The UTC day key of a time.</summary>
    public static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The start of the next UTC day after <paramref name="t"/>.</summary>
    public static DateTimeOffset NextReset(DateTimeOffset t) => new DateTimeOffset(t.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);

    /// <summary>Every role's limits: the database's (set by an admin) over the configured ones.</summary>
    public async Task<IReadOnlyList<RoleLimitsRow>> RolesAsync(NadaDbContext db, CancellationToken ct = default)
    {
        var stored = await db.RoleQuotas.AsNoTracking().ToDictionaryAsync(q => q.Role, ct);
        var names = options.Value.Roles.Keys.Concat(stored.Keys).Concat(await db.Roles.Select(r => r.Name!).ToListAsync(ct))
            .Where(n => n is not null).Distinct().Order();
        return names.Select(n => stored.TryGetValue(n, out var s)
            ? new RoleLimitsRow(n, s.MaxQueued, s.MaxRunning, s.GpuMinutesPerDay, true)
            : options.Value.Roles.TryGetValue(n, out var c)
                ? new RoleLimitsRow(n, c.MaxQueued, c.MaxRunning, c.GpuMinutesPerDay, false)
                : new RoleLimitsRow(n, null, null, null, false)).ToList();
    }

    /// <summary>Admin: sets a role's limits (null = no limit).</summary>
    public async Task SetRoleAsync(string role, int? maxQueued, int? maxRunning, double? gpuMinutesPerDay, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(role) || role.Length > 64) throw new ArgumentException("Name a role (at most 64 characters).");
        if (maxQueued is < 0 || maxRunning is < 0 || (gpuMinutesPerDay is { } m && (!double.IsFinite(m) || m < 0)))
            throw new ArgumentException("Limits must be 0 or more (leave a limit empty for none).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.RoleQuotas.SingleOrDefaultAsync(q => q.Role == role, ct);
        if (row is null) db.RoleQuotas.Add(row = new RoleQuotaRecord { Role = role });
        (row.MaxQueued, row.MaxRunning, row.GpuMinutesPerDay) = (maxQueued, maxRunning, gpuMinutesPerDay);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The limits of every user who has roles, by user id (users without roles get "User"'s).</summary>
    public async Task<Func<string, EffectiveLimits>> LimitsAsync(NadaDbContext db, CancellationToken ct = default)
    {
        var roles = (await RolesAsync(db, ct)).ToDictionary(r => r.Role);
        var userRoles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var byUser = userRoles.GroupBy(x => x.UserId).ToDictionary(g => g.Key, g => g.Select(x => x.Name!).ToList());
        return userId => Combine(byUser.TryGetValue(userId, out var names) && names.Count > 0 ? names : [Data.Roles.User], roles);
    }

    private static EffectiveLimits Combine(IEnumerable<string> roleNames, Dictionary<string, RoleLimitsRow> roles)
    {
        var rows = roleNames.Select(n => roles.TryGetValue(n, out var r) ? r : new RoleLimitsRow(n, null, null, null, false)).ToList();
        // The most generous: no limit beats any limit.
        static T? Max<T>(IEnumerable<T?> values) where T : struct, IComparable<T> =>
            values.Any(v => v is null) ? null : values.Select(v => v!.Value).DefaultIfEmpty().Max();
        return new EffectiveLimits(Max(rows.Select(r => r.MaxQueued)), Max(rows.Select(r => r.MaxRunning)), Max(rows.Select(r => r.GpuMinutesPerDay)));
    }

    /// <summary>GPU seconds per user over the fair-share window (today and the days before it).</summary>
    public async Task<Dictionary<string, double>> RecentUsageAsync(NadaDbContext db, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var days = Enumerable.Range(0, Math.Max(1, options.Value.FairShareDays)).Select(i => Day(now.AddDays(-i))).ToList();
        return (await db.Usage.AsNoTracking().Where(u => days.Contains(u.Day)).ToListAsync(ct))
            .GroupBy(u => u.UserId).ToDictionary(g => g.Key, g => g.Sum(u => u.GpuSeconds));
    }

    /// <summary>GPU seconds per user today.</summary>
    public async Task<Dictionary<string, double>> TodayUsageAsync(NadaDbContext db, CancellationToken ct = default)
    {
        var today = Day(clock.GetUtcNow());
        return await db.Usage.AsNoTracking().Where(u => u.Day == today).ToDictionaryAsync(u => u.UserId, u => u.GpuSeconds, ct);
    }

    /// <summary>Where a user stands.</summary>
    public async Task<QuotaStatus> StatusAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await StatusAsync(db, userId, ct);
    }

    /// <summary>Where a user stands, on a given context.</summary>
    public async Task<QuotaStatus> StatusAsync(NadaDbContext db, string userId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var lim = (await LimitsAsync(db, ct))(userId);
        var counts = await db.Jobs.Where(j => j.OwnerId == userId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .GroupBy(j => j.Status).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct);
        var today = Day(now);
        var used = await db.Usage.Where(u => u.UserId == userId && u.Day == today).Select(u => u.GpuSeconds).FirstOrDefaultAsync(ct);
        return new QuotaStatus(lim, counts.FirstOrDefault(c => c.Key == JobStatus.Queued)?.N ?? 0,
            counts.FirstOrDefault(c => c.Key == JobStatus.Running)?.N ?? 0, used, NextReset(now));
    }

    /// <summary>
    /// Why the user may not submit now (queue limit, daily GPU quota, submissions per minute), naming the limit and
    /// when it frees up; null when allowed.
    /// </summary>
    public async Task<string?> RefusalAsync(NadaDbContext db, string userId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var s = await StatusAsync(db, userId, ct);
        if (s.Limits.MaxQueued is { } maxQueued && s.Queued + s.Running >= maxQueued)
            return $"You already have {s.Queued + s.Running} jobs queued or running (the limit is {maxQueued} for your account). Wait for one to finish or cancel one.";
        if (s.Limits.GpuMinutesPerDay is { } minutes && s.GpuSecondsToday >= minutes * 60)
            return $"Your daily GPU quota of {minutes:0.#} minutes is used up (used {s.GpuSecondsToday / 60:0.#}). It resets at 00:00 UTC, in {Until(now, s.ResetsAt)}.";
        long maxDisk = limits.Value.MaxDiskBytesPerUser;
        if (await DiskBytesAsync(db, userId, ct) is var used && used >= maxDisk)
            return $"Your jobs and domains take {used / (1 << 20)} MiB of the {maxDisk / (1 << 20)} MiB you may use on the server's disk. Delete some of them (or ask an admin) before starting another job.";
        var since = now.AddMinutes(-1);
        var recent = await db.Jobs.CountAsync(j => j.OwnerId == userId && j.CreatedAt > since, ct);
        if (recent >= limits.Value.SubmissionsPerMinute)
            return $"You submitted {recent} jobs in the last minute (the limit is {limits.Value.SubmissionsPerMinute}). Try again in a minute.";
        return null;
    }

    /// <summary>Adds GPU time to a user's usage of today.</summary>
    public static async Task AddUsageAsync(NadaDbContext db, string userId, double seconds, DateTimeOffset now, CancellationToken ct = default)
    {
        if (seconds <= 0) return;
        var day = Day(now);
        int updated = await db.Usage.Where(u => u.UserId == userId && u.Day == day)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.GpuSeconds, x => x.GpuSeconds + seconds), ct);
        if (updated > 0) return;
        db.Usage.Add(new UsageRecord { UserId = userId, Day = day, GpuSeconds = seconds });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException)
        {
            // Another writer created today's row meanwhile: add to it.
            db.ChangeTracker.Clear();
            await db.Usage.Where(u => u.UserId == userId && u.Day == day)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.GpuSeconds, x => x.GpuSeconds + seconds), ct);
        }
    }

    /// <summary>Every user's usage and limits, for admins.</summary>
    public async Task<IReadOnlyList<UserUsageRow>> UsageAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var limitsOf = await LimitsAsync(db, ct);
        var recent = await RecentUsageAsync(db, ct);
        var today = await TodayUsageAsync(db, ct);
        var active = (await db.Jobs.Where(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Running)
            .Select(j => new { j.OwnerId, j.Status }).ToListAsync(ct))
            .GroupBy(j => j.OwnerId).ToDictionary(g => g.Key, g => (Queued: g.Count(j => j.Status == JobStatus.Queued), Running: g.Count(j => j.Status == JobStatus.Running)));
        var roleNames = (await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name }).ToListAsync(ct))
            .GroupBy(x => x.UserId).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.Name!).Order().ToList());
        var users = await db.Users.AsNoTracking().Select(u => new { u.Id, u.Email }).ToListAsync(ct);
        return users.Select(u =>
            {
                active.TryGetValue(u.Id, out var a);
                return new UserUsageRow(u.Id, u.Email ?? "", roleNames.GetValueOrDefault(u.Id) ?? [], a.Queued, a.Running,
                    today.GetValueOrDefault(u.Id), recent.GetValueOrDefault(u.Id), limitsOf(u.Id));
            })
            .OrderByDescending(r => r.GpuSecondsRecent).ThenBy(r => r.Email).ToList();
    }

    /// <summary>"3 h 12 min" from <paramref name="now"/> to <paramref name="then"/>.</summary>
    public static string Until(DateTimeOffset now, DateTimeOffset then)
    {
        var d = then - now;
        if (d <= TimeSpan.Zero) return "a moment";
        return d.TotalHours >= 1 ? $"{(int)d.TotalHours} h {d.Minutes} min" : $"{Math.Max(1, (int)Math.Ceiling(d.TotalMinutes))} min";
    }
}
