using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Nada.Web.Options;

namespace Nada.Web.Hosting;

/// <summary>Hangfire storage (memory | sqlite | postgres) and the "gpu" queue's server.</summary>
public static class HangfireSetup
{
    public static IServiceCollection AddNadaJobs(this IServiceCollection services, IConfiguration configuration)
    {
        var jobs = configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        services.AddHangfire((sp, config) =>
        {
            config.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            switch (jobs.Storage.ToLowerInvariant())
            {
                case "memory":
                    config.UseInMemoryStorage();
                    break;
                case "sqlite":
                    var file = jobs.ConnectionString ?? Path.Combine(sp.GetRequiredService<DataPaths>().DataDir, "hangfire.db");
                    config.UseSQLiteStorage(file);
                    break;
                case "postgres":
                    if (string.IsNullOrWhiteSpace(jobs.ConnectionString))
                        throw new InvalidOperationException("Jobs:Storage is postgres but Jobs:ConnectionString is empty; set Jobs__ConnectionString.");
                    config.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(jobs.ConnectionString),
                        new PostgreSqlStorageOptions { UseSlidingInvisibilityTimeout = true, PrepareSchemaIfNecessary = true });
                    break;
                default:
                    throw new InvalidOperationException($"Jobs:Storage is '{jobs.Storage}'; use memory, sqlite or postgres.");
            }
        });
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{Environment.MachineName}-gpu-{Guid.NewGuid().ToString("N")[..8]}";
            o.Queues = ["gpu"];
            o.WorkerCount = Math.Max(1, jobs.GpuCount);
            o.CancellationCheckInterval = TimeSpan.FromSeconds(Math.Max(0.2, jobs.CancellationCheckSeconds));
            o.ShutdownTimeout = TimeSpan.FromSeconds(jobs.ShutdownTimeoutSeconds);
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return services;
    }
}
