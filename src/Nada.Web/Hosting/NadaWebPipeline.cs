using Hangfire;
using Nada.Web.Api;
using Nada.Web.Components;
using Nada.Web.ModelAdmin;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Hosting;

/// <summary>The request pipeline and every endpoint of the app.</summary>
public static class NadaWebPipeline
{
    public static WebApplication UseNadaWeb(this WebApplication app)
    {
        app.UseNadaSecurity();
        app.UseAuthentication();
        app.UseNadaCsrfGuard();
        app.UseAuthorization();
        app.UseDashboardRedirects();
        app.UseAntiforgery();
        app.UseRateLimiter();

        app.MapNadaHealth();
        // A training-only box serves no pages and no API: only health, for whoever runs it.
        if (!app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Nada.Web.Options.JobsOptions>>().Value.ServesWeb) return app;
        app.MapStaticAssets();
        app.MapAuthApi();
        app.MapJobsApi();
        app.MapDomainsApi();
        app.MapMixApi();
        app.MapFiles();
        app.MapModelAdminApi();
        app.MapEditsApi();
        app.MapHub<ProgressHub>("/hubs/progress");
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardFilter()],
            DashboardTitle = "NadaWeb jobs",
            AppPath = "/admin/queue",
        });
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
