using Nada.Web.Data;

namespace Nada.Web.Security;

/// <summary>
/// Friendly refusals for people who open the Hangfire dashboard in a browser: signed out, to the sign-in page (back to
/// the dashboard afterwards); signed in without the Admin role, to the "not allowed" page. Requests that do not ask for
/// HTML keep the dashboard's own answers (401, 403).
/// </summary>
public static class DashboardRedirects
{
    public const string DashboardPath = "/hangfire";

    public static IApplicationBuilder UseDashboardRedirects(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (request.Path.StartsWithSegments(DashboardPath) && HttpMethods.IsGet(request.Method)
            && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            if (http.User.Identity?.IsAuthenticated != true)
            {
                var back = request.PathBase + request.Path + request.QueryString;
                http.Response.Redirect($"/account/login?returnUrl={Uri.EscapeDataString(back)}");
                return;
            }
            if (!http.User.IsInRole(Roles.Admin))
            {
                http.Response.Redirect("/account/denied");
                return;
            }
        }
        await next();
    });
}
