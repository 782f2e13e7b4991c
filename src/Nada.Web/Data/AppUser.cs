using Microsoft.AspNetCore.Identity;

namespace Nada.Web.Data;

/// <summary>A person with an account.</summary>
public sealed class AppUser : IdentityUser
{
}

/// <summary>The two roles of the app.</summary>
public static class Roles
{
    public const string User = "User";
    public const string Admin = "Admin";
}
