using Hangfire.Dashboard;
using Nada.Web.Data;

namespace Nada.Web.Security;

/// <summary>Lets only signed-in admins into the Hangfire dashboard (401 for anonymous, 403 for others).</summary>
public sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(Roles.Admin);
    }
}
