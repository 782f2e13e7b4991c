namespace Nada.Web.Data;

/// <summary>GPU time a user used on one UTC day (the basis of fair shares and daily quotas).</summary>
public sealed class UsageRecord
{
    public required string UserId { get; set; }

    /// <summary>The UTC day, as "yyyy-MM-dd".</summary>
    public required string Day { get; set; }

    /// <summary>Device seconds of the user's jobs on that day.</summary>
    public double GpuSeconds { get; set; }
}

/// <summary>The limits of one role, set by an admin (a user gets the most generous of their roles).</summary>
public sealed class RoleQuotaRecord
{
    /// <summary>The role's name ("User", "Admin", or another role).</summary>
    public required string Role { get; set; }

    /// <summary>Jobs queued or running at once; null: no limit.</summary>
    public int? MaxQueued { get; set; }

    /// <summary>Jobs running at once; null: no limit.</summary>
    public int? MaxRunning { get; set; }

    /// <summary>GPU minutes per UTC day; null: no limit.</summary>
    public double? GpuMinutesPerDay { get; set; }
}
