using Hangfire;
using Microsoft.Extensions.Options;
using Nada.Core.Models;
using Nada.Web.Options;

namespace Nada.Web.ModelAdmin;

/// <summary>Registers the model store, the download queue's Hangfire server and the admin model services.</summary>
public static class ModelAdminServices
{
    public static IServiceCollection AddNadaModelAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ModelsOptions>>().Value;
            var env = sp.GetRequiredService<IHostEnvironment>();
            string? registryFile = string.IsNullOrWhiteSpace(o.RegistryFile) ? null : Path.GetFullPath(o.RegistryFile, env.ContentRootPath);
            return new ModelStore(ModelRegistry.Load(registryFile), sp.GetRequiredService<DataPaths>().ModelsDir, options: o.ToDownloadOptions());
        });
        services.AddSingleton<ModelDownloadNotifier>();
        services.AddSingleton<ModelAdminService>();
        services.AddSingleton<ModelUploadService>();
        services.AddTransient<ModelDownloadJob>();
        services.AddHostedService<RegistryCheck>();

        var models = configuration.GetSection(ModelsOptions.Section).Get<ModelsOptions>() ?? new ModelsOptions();
        var jobs = configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        services.AddHangfireServer(o =>
        {
            o.ServerName = $"{Environment.MachineName}-downloads-{Guid.NewGuid().ToString("N")[..8]}";
            o.Queues = [ModelDownloadJob.Queue];
            o.WorkerCount = Math.Max(1, models.DownloadWorkers);
            o.ShutdownTimeout = TimeSpan.FromSeconds(jobs.ShutdownTimeoutSeconds);
            o.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        return services;
    }

    /// <summary>Loads the registry at start, so a broken Models:RegistryFile stops the app with the loader's message.</summary>
    private sealed class RegistryCheck(ModelStore store, ILogger<RegistryCheck> log) : IHostedService
    {
        public Task StartAsync(CancellationToken ct)
        {
            log.LogInformation("Model registry {Source}: {Count} models; models folder {Dir}", store.Registry.Source, store.Registry.Models.Count, store.ModelsDirectory);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
