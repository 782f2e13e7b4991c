using Hangfire;
using Nada.Core.Models;

namespace Nada.Web.ModelAdmin;

/// <summary>
/// The Hangfire job that makes one registry model present and verified, on the "downloads" queue (never the
/// gpu queue). Progress goes to <see cref="ModelDownloadNotifier"/>; two jobs for one model share one transfer
/// (<see cref="ModelStore"/>).
/// </summary>
public sealed class ModelDownloadJob(ModelStore store, ModelDownloadNotifier notifier, ILogger<ModelDownloadJob> log)
{
    /// <summary>The queue name.</summary>
    public const string Queue = "downloads";

    /// <summary>Downloads model <paramref name="modelId"/>; throws (and records the message) when it fails.</summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Download model {0}")]
    public async Task Run(string modelId, CancellationToken ct)
    {
        try
        {
            var progress = new InlineProgress(notifier.Report);
            string path = await store.DownloadAsync(modelId, progress, ct);
            notifier.Completed(modelId, $"ready at {path}");
            log.LogInformation("Model {Id} ready at {Path}", modelId, path);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            notifier.Failed(modelId, "the download was stopped (the app is shutting down); the partial file is kept and the next download resumes it");
            throw;
        }
        catch (Exception e)
        {
            notifier.Failed(modelId, e.Message);
            log.LogWarning("Download of model {Id} failed: {Message}", modelId, e.Message);
            throw;
        }
    }

    /// <summary>Reports synchronously on the downloading thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class InlineProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
