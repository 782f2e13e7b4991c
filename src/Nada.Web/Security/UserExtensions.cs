using System.Security.Claims;
using Nada.Web.Data;

namespace Nada.Web.Security;

/// <summary>Who is asking: id and admin flag from the signed-in principal.</summary>
public static class UserExtensions
{
    public static string? UserId(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.Admin);

    /// <summary>Owner or admin.</summary>
    public static bool CanManage(this ClaimsPrincipal user, string ownerId) =>
        user.IsAdmin() || (user.UserId() is { } id && id == ownerId);
}
