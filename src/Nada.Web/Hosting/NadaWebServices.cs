using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Identity;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Nada.Web.Cluster;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Edits;
using Nada.Web.Engine;
using Nada.Core.Scheduling;
using Nada.Core.Service;
using Nada.Core.Service.Torch;
using Nada.Web.Images;
using Nada.Web.Jobs;
using Nada.Web.ModelAdmin;
using Nada.Web.Options;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Hosting;

/// <summary>Registers everything the web app needs.</summary>
public static class NadaWebServices
{
    /// <summary>Rate-limiter policy of the sampling endpoints.</summary>
    public const string SamplingPolicy = "sampling";

    public static WebApplicationBuilder AddNadaWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;

        services.AddNadaOptions();
        services.AddSingleton<DataPaths>();
        services.AddSingleton(TimeProvider.System);

        // Cookie keys live in the data folder, so sign-ins survive a restart.
        var dataDir = Path.GetFullPath(config[$"{NadaOptions.Section}:DataDir"] ?? "data", builder.Environment.ContentRootPath);
        services.AddDataProtection().SetApplicationName("NadaWeb")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));

        services.AddNadaDatabase(config);

        services.AddIdentityCore<AppUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<NadaDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies(c =>
            c.ApplicationCookie?.Configure(o =>
            {
                o.LoginPath = "/account/login";
                o.AccessDeniedPath = "/account/denied";
                o.Cookie.Name = "nada.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Events.OnRedirectToLogin = ctx => ApiAwareRedirect(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => ApiAwareRedirect(ctx, StatusCodes.Status403Forbidden);
            }));
        services.AddAuthorizationBuilder()
            .AddPolicy(ProgressHub.Policy, p => p.RequireAssertion(ctx =>
                ctx.User.Identity?.IsAuthenticated == true
                || (ctx.Resource is HttpContext http && ShareTokens.LooksValid(http.Request.Query["share"]))));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AccountService>();
        builder.AddNadaSecurity();

        // The engine: every piece of GPU work goes through one broker (a scheduler per device).
        services.AddSingleton(sp =>
        {
            var jobs = sp.GetRequiredService<IOptions<JobsOptions>>().Value;
            return new GpuBroker(GpuBroker.DefaultDevices(Math.Max(1, jobs.GpuCount)), Math.Max(1, jobs.JobsPerGpu));
        });
        services.AddSingleton<IAdaptationEngine, TorchAdaptationEngine>();
        services.AddSingleton<IEditEngine, TorchEditEngine>();
        services.AddSingleton<IDomainSampler, TorchDomainSampler>();
        services.AddSingleton<ILatentRenderer, TorchLatentRenderer>();
        services.AddSingleton<IDomainEvaluator, TorchDomainEvaluator>();
        services.AddSingleton<ICompactDomainTools, TorchCompactDomainTools>();
        services.AddSingleton<IModelImporter, TorchModelImporter>();
        services.AddSingleton<IModelCatalog, FolderModelCatalog>();
        services.AddNadaModelAdmin(config);

        services.AddSingleton<ProgressStore>();
        services.AddHostedService<HubProgressForwarder>();
        services.AddSingleton<StyleImageSanitizer>();
        services.AddSingleton<DomainService>();
        services.AddSingleton<DomainStore>();
        services.AddSingleton<DomainScoring>();
        services.AddSingleton<DomainMixer>();
        services.AddEditing();
        services.AddNadaJobs(config);
        services.AddNadaHealth();

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SamplingPolicy, http =>
            {
                var limit = http.RequestServices.GetRequiredService<IOptions<LimitsOptions>>().Value.SamplesPerMinute;
                var key = http.User.UserId() ?? http.Connection.RemoteIpAddress?.ToString() ?? "anonymous";
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = Math.Max(1, limit),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
        });
        var signalR = services.AddSignalR(o => o.MaximumReceiveMessageSize = 64 * 1024)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddNadaCluster(config, signalR);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddRazorComponents().AddInteractiveServerComponents(o => o.DetailedErrors = builder.Environment.IsDevelopment());
        services.AddMudServices();
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = 64 * 1024 * 1024);
        // Serve wwwroot and package assets (MudBlazor) from a build as well as from a publish.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        return builder;
    }

    /// <summary>API, hub and file requests get a status code, pages a redirect to the sign-in page.</summary>
    private static Task ApiAwareRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        var path = ctx.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/files"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
