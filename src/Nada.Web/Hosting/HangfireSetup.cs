using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Nada.Web.Jobs;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;

namespace Nada.Web.Hosting;

/// <summary>Hangfire storage (memory | sqlite | postgres), the GPU job platform, and the "gpu" queue's server on boxes that train.</summary>
public static class HangfireSetup
{
    public static IServiceCollection AddNadaJobs(this IServiceCollection services, IConfiguration configuration)
    {
        var jobs = configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();

        // The platform: job kinds, one service, one dispatcher, one lifecycle, recovery.
        services.AddSingleton<SubmissionRules>();
        services.AddSingleton<IJobKind, AdaptationKind>();
        services.AddSingleton<IJobKind, LatentEditKind>();
        services.AddSingleton<IJobKind, PhotoInversionKind>();
        services.AddSingleton<JobKinds>();
        services.AddSingleton<ServerIdentity>();
        services.AddSingleton<QuotaService>();
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<JobTickets>();
        services.AddSingleton<JobErrors>();
        services.AddSingleton<PendingOutcomes>();
        services.AddSingleton<DiskReserve>();
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<RecoveryGate>();
        services.AddSingleton<JobLifecycle>();
        services.AddTransient<JobRunner>();
        services.AddScoped<JobService>();
        services.AddScoped<RerunForms>();
        services.AddHostedService<JobRecovery>();

        // The storage is built here and registered before AddHangfire, so each host uses its own instance and
        // never the static JobStorage.Current (several hosts share one process in the tests).
        services.AddSingleton<JobStorage>(sp => CreateStorage(jobs, sp.GetRequiredService<DataPaths>()));
        // Likewise the activator: jobs are built from this host's container, not from JobActivator.Current.
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostSafeLogProvider(sp.GetRequiredService<ILoggerFactory>()))
            .UseStorage(sp.GetRequiredService<JobStorage>()));
        int slots = jobs.Trains ? Math.Max(0, jobs.GpuCount) * Math.Max(1, jobs.JobsPerGpu) : 0;
        if (slots > 0)
        {
            // One worker per job slot: a worker runs tickets (JobRunner), each claiming the fair next job.
            services.AddHangfireServer(o =>
            {
                o.ServerName = $"{Environment.MachineName}-gpu-{Guid.NewGuid().ToString("N")[..8]}";
                o.Queues = [JobTickets.Queue];
                o.WorkerCount = slots;
                o.CancellationCheckInterval = TimeSpan.FromSeconds(Math.Max(0.2, jobs.CancellationCheckSeconds));
                o.ShutdownTimeout = TimeSpan.FromSeconds(jobs.ShutdownTimeoutSeconds);
                o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            });
        }
        return services;
    }

    private static JobStorage CreateStorage(JobsOptions jobs, DataPaths paths)
    {
        switch (jobs.Storage.ToLowerInvariant())
        {
            case "memory":
                return new InMemoryStorage(new InMemoryStorageOptions());
            case "sqlite":
                var file = jobs.ConnectionString ?? Path.Combine(paths.DataDir, "hangfire.db");
                return new SQLiteStorage(file, new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) });
            case "postgres":
                var options = new PostgreSqlStorageOptions { UseSlidingInvisibilityTimeout = true, PrepareSchemaIfNecessary = true };
                return new PostgreSqlStorage(new NpgsqlConnectionFactory(jobs.ConnectionString!, options), options);
            default:
                throw new InvalidOperationException($"Jobs:Storage is '{jobs.Storage}'; use memory, sqlite or postgres.");
        }
    }
}
