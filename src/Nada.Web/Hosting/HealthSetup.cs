using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Jobs;
using Nada.Web.Options;

namespace Nada.Web.Hosting;

/// <summary>
/// Health endpoints for whoever runs the box: <c>/health/live</c> answers 200 while the process serves requests;
/// <c>/health/ready</c> checks the database, the job storage and (on a box that trains) the engine's devices, and
/// answers 503 naming what is down. Both are anonymous and say nothing about users or jobs.
/// </summary>
public static class HealthSetup
{
    private const string Ready = "ready";

    public static IServiceCollection AddNadaHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddDbContextCheck<NadaDbContext>("database", tags: [Ready])
            .AddCheck<JobStorageCheck>("job storage", tags: [Ready])
            .AddCheck<EngineCheck>("engine", tags: [Ready])
            .AddCheck<DiskCheck>("disk", tags: [Ready])
            .AddCheck<BusCheck>("bus", tags: [Ready]);
        return services;
    }

    public static WebApplication MapNadaHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteJson }).AllowAnonymous();
        return app;
    }

    private static Task WriteJson(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }

    /// <summary>The Hangfire storage answers.</summary>
    private sealed class JobStorageCheck(JobStorage storage) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                using var connection = storage.GetConnection();
                connection.GetAllItemsFromSet("nada-health");
                return Task.FromResult(HealthCheckResult.Healthy("reachable"));
            }
            catch (Exception e)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"unreachable: {e.GetType().Name}"));
            }
        }
    }

    /// <summary>A box that trains has its engine's devices; a web-only box has none to check.</summary>
    private sealed class EngineCheck(IServiceProvider services, IOptions<JobsOptions> jobs) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            if (jobs.Value.GpuCount == 0) return Task.FromResult(HealthCheckResult.Healthy("web only: no engine devices on this box"));
            try
            {
                var broker = services.GetRequiredService<Nada.Core.Scheduling.GpuBroker>();
                return Task.FromResult(HealthCheckResult.Healthy(string.Join(", ", broker.Devices.Select(d => d.Device))));
            }
            catch (Exception e)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"engine unavailable: {e.GetType().Name}"));
            }
        }
    }

    /// <summary>The cluster bus (Redis): down means live views on other boxes poll, so it degrades the box, it does not stop it.</summary>
    private sealed class BusCheck(Nada.Web.Cluster.IClusterBus bus) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(bus.IsConnected ? HealthCheckResult.Healthy(bus is Nada.Web.Cluster.LocalBus ? "one box: no bus" : "connected")
                : HealthCheckResult.Degraded("Redis unreachable: pages of other boxes fall back to polling"));
    }

    /// <summary>Free space of the data folder against the reserve jobs need.</summary>
    private sealed class DiskCheck(DataPaths paths, IOptions<LimitsOptions> limits) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            var free = DiskSpace.FreeBytes(paths.DataDir);
            if (free is null) return Task.FromResult(HealthCheckResult.Healthy("free space unknown"));
            var reserve = limits.Value.MinFreeDiskBytes;
            return Task.FromResult(free >= reserve
                ? HealthCheckResult.Healthy($"{free / (1 << 20)} MiB free")
                : HealthCheckResult.Degraded($"{free / (1 << 20)} MiB free, below the reserve of {reserve / (1 << 20)} MiB: no job starts"));
        }
    }
}
