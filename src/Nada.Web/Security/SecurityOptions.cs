namespace Nada.Web.Security;

/// <summary>Sessions, sign-in throttling, sign-up rules, per-client limits and proxies (section "Security").</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// How old (seconds) a sign-in cookie's check against the account's security stamp may be. 0: every request checks,
    /// so a sign-out (which changes the stamp) ends every copy of the cookie at once.
    /// </summary>
    public double SessionCheckSeconds { get; set; }

    /// <summary>
    /// Origins (scheme://host[:port]) besides the app's own that may send state-changing requests, e.g. when a proxy
    /// rewrites the Host header. Normally empty.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed (IP addresses).</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies, in CIDR notation (e.g. 10.0.0.0/8).</summary>
    public string[] KnownNetworks { get; set; } = [];

    public SignUpRules SignUp { get; set; } = new();
    public SignInRules SignIn { get; set; } = new();
    public ClientLimitRules Clients { get; set; } = new();
}

/// <summary>Who may create an account (section "Security:SignUp").</summary>
public sealed class SignUpRules
{
    /// <summary>New accounts cannot sign in until an admin approves them (/admin/users).</summary>
    public bool RequireApproval { get; set; }

    /// <summary>When set, sign-up asks for this code (give it to the people you invite).</summary>
    public string? InvitationCode { get; set; }

    /// <summary>Sign-ups one client address may make per hour.</summary>
    public int PerClientPerHour { get; set; } = 5;
}

/// <summary>
/// Sign-in throttling (section "Security:SignIn"): failures are counted per client address and per account name
/// (known or not); an account's delays apply only to devices that never signed in to it.
/// </summary>
public sealed class SignInRules
{
    /// <summary>Failed sign-ins one client address may make in <see cref="ClientWindowMinutes"/>; then it waits.</summary>
    public int ClientFailures { get; set; } = 10;

    public double ClientWindowMinutes { get; set; } = 15;

    /// <summary>Failures on one account name from unknown devices before delays start.</summary>
    public int AccountFailures { get; set; } = 5;

    /// <summary>The first delay; each further failure doubles it, up to <see cref="AccountMaxDelayMinutes"/>.</summary>
    public double AccountDelaySeconds { get; set; } = 30;

    public double AccountMaxDelayMinutes { get; set; } = 30;

    /// <summary>How long a device that signed in stays known to the account (its "device cookie").</summary>
    public double DeviceCookieDays { get; set; } = 180;
}

/// <summary>Limits per client address, beside the per-user ones (section "Security:Clients").</summary>
public sealed class ClientLimitRules
{
    /// <summary>Job submissions (of every account together) from one client address per minute and per hour.</summary>
    public int SubmissionsPerMinute { get; set; } = 10;

    public int SubmissionsPerHour { get; set; } = 60;
}
