using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Security;

/// <summary>Creates accounts (role User) and the first admin from configuration.</summary>
public sealed class AccountService(UserManager<AppUser> users, RoleManager<IdentityRole> roles, ILogger<AccountService> logger)
{
    /// <summary>Creates a user account; returns messages for the user when refused.</summary>
    public async Task<List<string>> RegisterAsync(string? email, string? password)
    {
        email = email?.Trim() ?? "";
        if (email.Length is 0 or > 254 || !email.Contains('@')) return ["Enter a valid email address."];
        if (string.IsNullOrEmpty(password)) return ["Enter a password."];
        var user = new AppUser { UserName = email, Email = email };
        var r = await users.CreateAsync(user, password);
        if (!r.Succeeded) return r.Errors.Select(e => e.Description).ToList();
        await users.AddToRoleAsync(user, Roles.User);
        return [];
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
}
