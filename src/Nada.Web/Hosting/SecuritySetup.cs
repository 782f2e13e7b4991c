using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Security;

namespace Nada.Web.Hosting;

/// <summary>
/// The security layer: sessions revoked on sign-out, sign-in throttling, sign-up rules, common-password refusal,
/// per-client limits, CSRF guard, security headers, error answers, proxies. See the README's "Security" section.
/// </summary>
public static class SecuritySetup
{
    public static WebApplicationBuilder AddNadaSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section)
            .Validate(o => o.SessionCheckSeconds >= 0, "Security:SessionCheckSeconds must be 0 (check every request) or more.")
            .Validate(o => o.SignIn.ClientFailures >= 1 && o.SignIn.AccountFailures >= 1 && o.SignIn.ClientWindowMinutes > 0
                           && o.SignIn.AccountDelaySeconds > 0 && o.SignIn.AccountMaxDelayMinutes > 0,
                "Security:SignIn: ClientFailures and AccountFailures must be at least 1, the window and delays above 0.")
            .Validate(o => o.SignUp.PerClientPerHour >= 1 && o.Clients.SubmissionsPerMinute >= 1 && o.Clients.SubmissionsPerHour >= 1,
                "Security:SignUp:PerClientPerHour and Security:Clients:SubmissionsPerMinute/PerHour must be at least 1.")
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "Security:KnownProxies must hold IP addresses (e.g. 127.0.0.1).")
            .Validate(o => o.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Security:KnownNetworks must hold networks in CIDR notation (e.g. 10.0.0.0/8).")
            .ValidateOnStart();

        services.AddHttpContextAccessor();
        services.AddScoped<IClaimsTransformation, ClientClaimTransformation>();
        services.AddSingleton<ClientLimits>();
        services.AddSingleton<LoginThrottle>();
        services.AddScoped<StandInPasswordHash>();
        services.AddSingleton<ShareLinkViewers>();
        services.AddScoped<SignInService>();
        services.AddScoped<IPasswordValidator<AppUser>, CommonPasswordValidator>();

        // Sign-in failures are throttled per client and account name (LoginThrottle), never by locking the account.
        services.Configure<IdentityOptions>(o => o.Lockout.AllowedForNewUsers = false);
        // Revoked cookies are refused at once (SessionStampCheck); Identity's validator refreshes roles every 30 minutes.
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, o =>
        {
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Events.OnValidatePrincipal = SessionStampCheck.ValidateAsync;
        });
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfGuard.TokenHeader;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<SecurityOptions>>((o, s) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the proxies named in the settings are believed (not even loopback by default).
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var p in s.Value.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(p));
            foreach (var n in s.Value.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(n));
        });

        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions.Remove("exception");
            c.ProblemDetails.Extensions["traceId"] = ErrorResponses.TraceId(c.HttpContext);
        });
        return builder;
    }

    /// <summary>First in the pipeline: proxies' headers, security headers, error answers (503 while the database is unreachable).</summary>
    public static WebApplication UseNadaSecurity(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        if (security.KnownProxies.Length > 0 || security.KnownNetworks.Length > 0) app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeaders>();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler(ErrorResponses.Path, createScopeForErrors: true);
            app.UseMiddleware<ErrorResponses>();
        }
        app.UseMiddleware<DatabaseOutageAnswer>();
        return app;
    }

    /// <summary>After authentication (an antiforgery token is tied to the user): the cross-site request forgery guard.</summary>
    public static WebApplication UseNadaCsrfGuard(this WebApplication app)
    {
        app.UseMiddleware<CsrfGuard>();
        return app;
    }
}
