using Microsoft.Extensions.Options;
using Nada.Web.Jobs;

namespace Nada.Web.Options;

/// <summary>
/// Binds every options section and checks it when the app starts (<c>ValidateOnStart</c>): a bad setting stops the
/// start with one message naming the setting and what it must be, instead of failing later inside a job.
/// </summary>
public static class OptionsSetup
{
    public static IServiceCollection AddNadaOptions(this IServiceCollection services)
    {
        services.AddOptions<NadaOptions>().BindConfiguration(NadaOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDir), "Nada:DataDir is empty; set it to the folder for the database, runs and domains.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ModelsDir), "Nada:ModelsDir is empty; set it to the models folder.")
            .ValidateOnStart();
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .Validate(o => o.Provider.ToLowerInvariant() is "sqlite" or "postgres", "Database:Provider must be sqlite or postgres.")
            .Validate(o => !o.IsPostgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Database:Provider is postgres but Database:ConnectionString is empty; set Database__ConnectionString (e.g. Host=db;Database=nada;Username=nada;Password=...).")
            .ValidateOnStart();
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section)
            .Validate(o => o.Storage.ToLowerInvariant() is "memory" or "sqlite" or "postgres", "Jobs:Storage must be memory, sqlite or postgres.")
            .Validate(o => o.Storage.ToLowerInvariant() != "postgres" || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Jobs:Storage is postgres but Jobs:ConnectionString is empty; set Jobs__ConnectionString.")
            .Validate(o => o.GpuCount is >= 0 and <= 64, "Jobs:GpuCount must be between 0 (a web-only box) and 64.")
            .Validate(o => o.Role.ToLowerInvariant() is "both" or "web" or "train", "Jobs:Role must be both, web or train.")
            .Validate(o => !o.Role.Equals("train", StringComparison.OrdinalIgnoreCase) || o.GpuCount > 0, "Jobs:Role is train but Jobs:GpuCount is 0: a training box needs at least one GPU (or the CPU, counted as 1).")
            .Validate(o => o.JobsPerGpu is >= 1 and <= 16, "Jobs:JobsPerGpu must be between 1 and 16.")
            .Validate(o => o.LeaseSeconds >= 5 && o.HeartbeatSeconds > 0 && o.HeartbeatSeconds < o.LeaseSeconds,
                "Jobs:HeartbeatSeconds must be above 0 and below Jobs:LeaseSeconds (at least 5).")
            .Validate(o => o.SweepSeconds > 0, "Jobs:SweepSeconds must be above 0.")
            .ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section)
            .Validate(o => o.MinIterations >= 1 && o.MaxIterations >= o.MinIterations && o.MaxIterations <= Nada.Core.Adaptation.RequestValidator.MaxIterations,
                $"Limits:MinIterations must be at least 1 and Limits:MaxIterations between it and {Nada.Core.Adaptation.RequestValidator.MaxIterations}.")
            .Validate(o => o.SubmissionsPerMinute >= 1, "Limits:SubmissionsPerMinute must be at least 1.")
            .Validate(o => o.MaxPromptLength >= 1, "Limits:MaxPromptLength must be at least 1.")
            .Validate(o => o.MaxBatchSize >= 1, "Limits:MaxBatchSize must be at least 1.")
            .Validate(o => o.MaxUploadBytes >= 1024 && o.MaxUploadPixels >= 64 * 64, "Limits:MaxUploadBytes must be at least 1024 and Limits:MaxUploadPixels at least 4096.")
            .Validate(o => o.MaxSampleSeeds >= 1 && o.SamplesPerMinute >= 1, "Limits:MaxSampleSeeds and Limits:SamplesPerMinute must be at least 1.")
            .Validate(o => o.MaxConcurrentDecodes >= 1, "Limits:MaxConcurrentDecodes must be at least 1.")
            .Validate(o => o.MinFreeDiskBytes >= 0 && o.MaxDiskBytesPerUser >= 0, "Limits:MinFreeDiskBytes and Limits:MaxDiskBytesPerUser must be 0 or more.")
            .Validate(o => o.MaxPreviewsPerJob >= 1 && o.MaxCheckpointsPerJob >= 1, "Limits:MaxPreviewsPerJob and Limits:MaxCheckpointsPerJob must be at least 1.")
            .ValidateOnStart();
        services.AddOptions<EvaluationOptions>().BindConfiguration(EvaluationOptions.Section)
            .Validate(o => o.Samples is >= 2 and <= 1024 && o.Seed >= 0, "Evaluation:Samples must be between 2 and 1024 and Evaluation:Seed 0 or more.")
            .ValidateOnStart();
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section)
            .Validate(o => o.Roles.Values.All(r => r.MaxQueued is null or >= 0 && r.MaxRunning is null or >= 0 && (r.GpuMinutesPerDay is null || (double.IsFinite(r.GpuMinutesPerDay.Value) && r.GpuMinutesPerDay >= 0))),
                "Quotas:Roles:*: MaxQueued, MaxRunning and GpuMinutesPerDay must be 0 or more (leave one out for no limit).")
            .Validate(o => o.FairShareDays is >= 1 and <= 60, "Quotas:FairShareDays must be between 1 and 60.")
            .ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section)
            .Validate(o => string.IsNullOrWhiteSpace(o.Email) == string.IsNullOrEmpty(o.Password),
                "Admin:Email and Admin:Password go together: set both to create the first admin, or neither.")
            .ValidateOnStart();
        return services;
    }
}
