using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;

namespace Nada.Web.Security;

/// <summary>
/// Revokes sign-in cookies on the server: a cookie whose security stamp is no longer the account's (it changes at
/// every sign-out, <see cref="SignInService.SignOutAsync"/>) is refused. The check is one small query per request (at
/// most every <see cref="SecurityOptions.SessionCheckSeconds"/> per cookie); Identity's own validator still refreshes
/// the cookie's roles every 30 minutes.
/// </summary>
public static class SessionStampCheck
{
    private const string CheckedAt = "nada.stamp-checked";

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var principal = context.Principal;
        var id = principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null) return;
        var every = TimeSpan.FromSeconds(services.GetRequiredService<IOptions<SecurityOptions>>().Value.SessionCheckSeconds);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (every > TimeSpan.Zero && context.Properties.Items.TryGetValue(CheckedAt, out var last)
            && DateTimeOffset.TryParse(last, out var at) && now - at < every)
        {
            await SecurityStampValidator.ValidatePrincipalAsync(context);
            return;
        }
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var cookieStamp = principal!.FindFirstValue(stampClaim);
        await using var db = await services.GetRequiredService<IDbContextFactory<NadaDbContext>>().CreateDbContextAsync(context.HttpContext.RequestAborted);
        var current = await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.SecurityStamp).FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        if (current is null || cookieStamp is null || current != cookieStamp)
        {
            context.RejectPrincipal();
            await services.GetRequiredService<SignInManager<AppUser>>().SignOutAsync();
            return;
        }
        if (every > TimeSpan.Zero)
        {
            context.Properties.Items[CheckedAt] = now.ToString("O");
            context.ShouldRenew = true;
        }
        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }
}
