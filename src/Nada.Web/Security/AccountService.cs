using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Security;

/// <summary>The answer to a sign-up.</summary>
/// <param name="Accepted">
/// True for a new account and, with the same message, for an email that already has one (the answer must not tell
/// which emails have accounts).
/// </param>
/// <param name="Errors">Messages for the person when refused (input, invitation code, password).</param>
/// <param name="TooMany">Refused by the per-client sign-up limit.</param>
/// <param name="AwaitsApproval">Sign-up needs an admin's approval before the account can sign in.</param>
public sealed record SignUpResult(bool Accepted, IReadOnlyList<string> Errors, bool TooMany = false, bool AwaitsApproval = false)
{
    public string Message => AwaitsApproval
        ? "Thanks: your account awaits an administrator's approval; you can sign in once it is approved."
        : "Thanks: sign in with this email and password.";
}

/// <summary>Creates accounts (role User, or none until approved) and the first admin from configuration.</summary>
public sealed class AccountService(
    UserManager<AppUser> users,
    RoleManager<IdentityRole> roles,
    ClientLimits clients,
    StandInPasswordHash standIn,
    IOptions<SecurityOptions> security,
    ILogger<AccountService> logger)
{
    /// <summary>
    /// Creates a user account from <paramref name="client"/>. An email that already has an account gets the same
    /// answer, after the same work (a password hash), as a new one.
    /// </summary>
    public async Task<SignUpResult> RegisterAsync(string? email, string? password, string client, string? invitationCode = null)
    {
        var rules = security.Value.SignUp;
        email = email?.Trim() ?? "";
        if (email.Length is 0 or > 254 || !email.Contains('@')) return Refused("Enter a valid email address.");
        if (string.IsNullOrEmpty(password)) return Refused("Enter a password.");
        if (!string.IsNullOrEmpty(rules.InvitationCode) && !SameText(invitationCode?.Trim() ?? "", rules.InvitationCode))
            return Refused("The invitation code is not right; ask an administrator for one.");

        var user = new AppUser { UserName = email, Email = email };
        var passwordErrors = new List<string>();
        foreach (var validator in users.PasswordValidators)
        {
            var r = await validator.ValidateAsync(users, user, password);
            if (!r.Succeeded) passwordErrors.AddRange(r.Errors.Select(e => e.Description));
        }
        if (passwordErrors.Count > 0) return new SignUpResult(false, passwordErrors.Distinct().ToList());

        if (clients.SignUpRefusal(client) is { } tooMany) return new SignUpResult(false, [tooMany], TooMany: true);

        var accepted = new SignUpResult(true, [], AwaitsApproval: rules.RequireApproval);
        if (await users.FindByEmailAsync(email) is not null)
        {
            standIn.Spend(password);
            logger.LogInformation("Sign-up for an email that already has an account, from {Client}", client);
            return accepted;
        }
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            // A concurrent sign-up of the same email (or name) lands here: answer as for an existing account.
            if (created.Errors.Any(e => e.Code is nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName)))
                return accepted;
            return new SignUpResult(false, created.Errors.Select(e => e.Description).ToList());
        }
        if (!rules.RequireApproval) await users.AddToRoleAsync(user, Roles.User);
        return accepted;
    }

    /// <summary>Accounts waiting for approval (no role yet).</summary>
    public async Task<List<AppUser>> PendingAsync()
    {
        var approved = new HashSet<string>();
        foreach (var role in new[] { Roles.User, Roles.Admin })
            approved.UnionWith((await users.GetUsersInRoleAsync(role)).Select(u => u.Id));
        return users.Users.AsEnumerable().Where(u => !approved.Contains(u.Id)).OrderBy(u => u.Email).ToList();
    }

    /// <summary>Lets a waiting account sign in (role User). False when there is no such account.</summary>
    public async Task<bool> ApproveAsync(string userId)
    {
        if (await users.FindByIdAsync(userId) is not { } user) return false;
        if (!await users.IsInRoleAsync(user, Roles.User)) await users.AddToRoleAsync(user, Roles.User);
        logger.LogInformation("Approved account {Email}", user.Email);
        return true;
    }

    /// <summary>Creates the roles, and the admin named in configuration when missing.</summary>
    public async Task SeedAsync(AdminOptions admin)
    {
        foreach (var role in new[] { Roles.User, Roles.Admin })
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        if (string.IsNullOrWhiteSpace(admin.Email) || string.IsNullOrEmpty(admin.Password)) return;
        var user = await users.FindByEmailAsync(admin.Email);
        if (user is null)
        {
            user = new AppUser { UserName = admin.Email, Email = admin.Email, EmailConfirmed = true };
            var r = await users.CreateAsync(user, admin.Password);
            if (!r.Succeeded)
                throw new InvalidOperationException(
                    $"Could not create the admin '{admin.Email}' from Admin:Email/Admin:Password: {string.Join(" ", r.Errors.Select(e => e.Description))}");
            logger.LogInformation("Created admin {Email}", admin.Email);
        }
        foreach (var role in new[] { Roles.User, Roles.Admin })
            if (!await users.IsInRoleAsync(user, role)) await users.AddToRoleAsync(user, role);
    }

    private static SignUpResult Refused(string message) => new(false, [message]);

    private static bool SameText(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
