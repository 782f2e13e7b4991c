using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Nada.Web.Security;

/// <summary>
/// Limits per client address beside the per-user ones: sign-ups, and job submissions of all accounts together, so
/// free accounts made from one place do not multiply the per-user limits. Kept in memory on this box.
/// </summary>
public sealed class ClientLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _signUps;
    private readonly PartitionedRateLimiter<string> _submissions;
    private readonly IOptions<SecurityOptions> _options;

    public ClientLimits(IOptions<SecurityOptions> options)
    {
        _options = options;
        _signUps = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client, _ =>
            Window(options.Value.SignUp.PerClientPerHour, TimeSpan.FromHours(1))));
        _submissions = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client, _ =>
                Window(options.Value.Clients.SubmissionsPerMinute, TimeSpan.FromMinutes(1)))),
            PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client, _ =>
                Window(options.Value.Clients.SubmissionsPerHour, TimeSpan.FromHours(1)))));
    }

    /// <summary>Why this client may not sign up now, or null (and one sign-up counted).</summary>
    public string? SignUpRefusal(string client)
    {
        using var lease = _signUps.AttemptAcquire(client);
        return lease.IsAcquired ? null
            : $"Too many sign-ups from your address (at most {_options.Value.SignUp.PerClientPerHour} an hour); try again {Later(lease)}.";
    }

    /// <summary>Why the principal's client may not submit a job now, or null (and one submission counted).</summary>
    public string? SubmissionRefusal(ClaimsPrincipal user)
    {
        if (ClientAddress.Of(user) is not { } client) return null;
        using var lease = _submissions.AttemptAcquire(client);
        var o = _options.Value.Clients;
        return lease.IsAcquired ? null
            : $"Too many jobs submitted from your address (at most {o.SubmissionsPerMinute} a minute and {o.SubmissionsPerHour} an hour, all accounts together); try again {Later(lease)}.";
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) => new()
    {
        PermitLimit = Math.Max(1, permits),
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static string Later(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? "in " + Duration(after) : "later";

    /// <summary>"40 seconds", "3 minutes".</summary>
    public static string Duration(TimeSpan t) => t.TotalSeconds < 90
        ? $"{Math.Max(1, (int)Math.Ceiling(t.TotalSeconds))} seconds"
        : $"{(int)Math.Ceiling(t.TotalMinutes)} minutes";

    public void Dispose()
    {
        _signUps.Dispose();
        _submissions.Dispose();
    }
}
