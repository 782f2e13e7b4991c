using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Nada.Web.Data;

namespace Nada.Web.Security;

/// <summary>What became of a sign-in attempt.</summary>
public enum SignInStatus { SignedIn, WrongCredentials, ClientThrottled, AccountDelayed, AwaitingApproval }

/// <summary>A sign-in attempt's outcome and the message for the person.</summary>
public sealed record SignInAttempt(SignInStatus Status, string Message, TimeSpan? RetryAfter = null)
{
    public bool Succeeded => Status == SignInStatus.SignedIn;
}

/// <summary>
/// Password sign-in and sign-out for the pages and the API. Unknown and known emails take the same path and time (an
/// unknown email is checked against a stand-in hash) and get the same answers; failures are throttled by
/// <see cref="LoginThrottle"/> instead of locking the account; a device that signs in gets a device cookie, with which
/// its owner is never delayed by strangers' failures. Sign-out changes the account's security stamp, which ends every
/// copy of every sign-in cookie of the account (see <see cref="SecurityOptions.SessionCheckSeconds"/>).
/// </summary>
public sealed class SignInService(
    UserManager<AppUser> users,
    SignInManager<AppUser> signIn,
    LoginThrottle throttle,
    StandInPasswordHash standIn,
    IDataProtectionProvider protection,
    IOptions<SecurityOptions> options,
    TimeProvider clock)
{
    public const string DeviceCookie = "nada.device";
    public const string WrongCredentialsMessage = "Wrong email or password.";

    private ITimeLimitedDataProtector Devices => protection.CreateProtector("Nada.Security.DeviceCookie.v1").ToTimeLimitedDataProtector();

    /// <summary>Checks the password and, when right, sets the sign-in cookie (and the device cookie) on <paramref name="http"/>'s response.</summary>
    public async Task<SignInAttempt> PasswordSignInAsync(HttpContext http, string? email, string? password, bool persistent)
    {
        email = (email ?? "").Trim();
        password ??= "";
        string client = ClientAddress.Of(http);
        if (throttle.ClientWait(client) is { } clientWait)
            return new(SignInStatus.ClientThrottled,
                $"Too many failed sign-ins from your address; try again in {ClientLimits.Duration(clientWait)}.", clientWait);

        var user = email.Length is > 0 and <= 254 ? await users.FindByEmailAsync(email) : null;
        bool knownDevice = user is not null && DeviceUserId(http) == user.Id;
        string account = users.NormalizeEmail(email) ?? "";
        if (throttle.AccountWait(account, knownDevice) is { } accountWait)
            return new(SignInStatus.AccountDelayed,
                $"Too many failed sign-ins to this account from new devices; try again in {ClientLimits.Duration(accountWait)}, or from a device that signed in to it before.",
                accountWait);

        bool ok;
        if (user is null)
        {
            standIn.Verify(password); // the same work as for a known email; the answer is no either way
            ok = false;
        }
        else ok = await users.CheckPasswordAsync(user, password);
        if (!ok)
        {
            throttle.Failed(client, account, knownDevice);
            return new(SignInStatus.WrongCredentials, WrongCredentialsMessage);
        }
        // A right password from a new device ends the delays; from a known device it leaves them for strangers.
        if (!knownDevice) throttle.Succeeded(account);
        if (!await IsApprovedAsync(user!))
            return new(SignInStatus.AwaitingApproval, "Your account awaits an administrator's approval; sign in once it is approved.");
        await signIn.SignInAsync(user!, persistent);
        SetDeviceCookie(http, user!);
        return new(SignInStatus.SignedIn, "Signed in.");
    }

    /// <summary>Signs out here and everywhere: the account's security stamp changes, so every saved cookie stops working.</summary>
    public async Task SignOutAsync(ClaimsPrincipal principal)
    {
        if (principal.UserId() is { } id && await users.FindByIdAsync(id) is { } user)
            await users.UpdateSecurityStampAsync(user);
        await signIn.SignOutAsync();
    }

    /// <summary>Approved accounts have a role; new accounts wait without one while sign-up needs approval.</summary>
    public async Task<bool> IsApprovedAsync(AppUser user) => (await users.GetRolesAsync(user)).Count > 0;

    private string? DeviceUserId(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(DeviceCookie, out var value) || string.IsNullOrEmpty(value)) return null;
        try { return Devices.Unprotect(value); }
        catch (CryptographicException) { return null; }
    }

    private void SetDeviceCookie(HttpContext http, AppUser user)
    {
        var lifetime = TimeSpan.FromDays(Math.Max(1, options.Value.SignIn.DeviceCookieDays));
        http.Response.Cookies.Append(DeviceCookie, Devices.Protect(user.Id, lifetime), new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            IsEssential = true,
            Path = "/",
            Expires = clock.GetUtcNow() + lifetime,
        });
    }
}

/// <summary>
/// A hash of a random password made with the app's own hasher, checked when the email is unknown, so that an unknown
/// email costs the same time as a known one.
/// </summary>
public sealed class StandInPasswordHash(IPasswordHasher<AppUser> hasher)
{
    private static string? _hash;

    public bool Verify(string password)
    {
        var hash = LazyInitializer.EnsureInitialized(ref _hash,
            () => hasher.HashPassword(new AppUser(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
        return hasher.VerifyHashedPassword(new AppUser(), hash, password) != PasswordVerificationResult.Failed;
    }

    /// <summary>Hashes a password and throws the hash away (the cost of creating an account, for answers that must not differ).</summary>
    public void Spend(string password) => hasher.HashPassword(new AppUser(), password);
}
