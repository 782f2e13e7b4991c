using Hangfire;
using Hangfire.States;
using Nada.Core.Models;

namespace Nada.Web.ModelAdmin;

/// <summary>
/// What the models page and the admin API do with registry models: list them with their state, queue downloads
/// (one per model at a time) and verify files. Singleton.
/// </summary>
public sealed class ModelAdminService(ModelStore store, ModelDownloadNotifier notifier, IBackgroundJobClient hangfire)
{
    /// <summary>The registry in use.</summary>
    public ModelRegistry Registry => store.Registry;

    /// <summary>Every registry model with its state (no hashing).</summary>
    public ModelListDto List() =>
        new(store.Registry.Source, store.ModelsDirectory, store.List().Select(Row).ToList());

    /// <summary>One model's row; null for an unknown id.</summary>
    public ModelRowDto? Get(string id) =>
        store.Registry.TryFind(id) is null ? null : store.List().Where(s => string.Equals(s.Entry.Id, id, StringComparison.OrdinalIgnoreCase)).Select(Row).First();

    /// <summary>
    /// Queues a download job for a known model; false (and nothing queued) when one is already queued or running.
    /// </summary>
    public bool StartDownload(string id)
    {
        var entry = store.Registry.Find(id);
        if (!notifier.TryMarkQueued(entry.Id)) return false;
        try
        {
            hangfire.Create<ModelDownloadJob>(j => j.Run(entry.Id, CancellationToken.None), new EnqueuedState(ModelDownloadJob.Queue));
        }
        catch (Exception e)
        {
            notifier.Failed(entry.Id, $"could not queue the download: {e.Message}");
            throw;
        }
        return true;
    }

    /// <summary>Hashes a model's file (off the caller's thread) and records the outcome for the page.</summary>
    public async Task<ModelVerification> VerifyAsync(string id, CancellationToken ct = default)
    {
        var entry = store.Registry.Find(id);
        var result = await Task.Run(() => store.Verify(entry.Id, ct), ct);
        notifier.Verified(result);
        return result;
    }

    private ModelRowDto Row(ModelStatus s)
    {
        var e = s.Entry;
        var activity = notifier.Activity(e.Id);
        string state = activity switch
        {
            { Kind: ModelActivityKind.Queued } => "queued",
            { Kind: ModelActivityKind.Downloading } => "downloading",
            _ when s.IsPresent => "present",
            { Kind: ModelActivityKind.Failed } => "failed",
            _ => "missing",
        };
        string hash = e.HashPublished ? "published" : s.RecordedSha256 is not null ? "recorded" : "unpublished";
        var verification = notifier.Verification(e.Id);
        return new ModelRowDto(e.Id, e.DisplayName, e.Domain, e.Family.Name(), e.Resolution, e.Format.Name(), e.FileName,
            e.License, e.SourcePage, s.Path, state, hash, IsTrainable(e), s.SizeOnDisk ?? e.SizeBytes,
            ModelProgressDto.From(activity?.Progress),
            activity?.Kind == ModelActivityKind.Failed ? activity.Error : null,
            verification is null ? null : (verification.IsOk ? "ok: " : "FAILED: ") + verification.Message);
    }

    /// <summary>Whether the engine can train with a model of this family: every generator family (StyleGAN2, -ADA, 3); CLIP is not a generator.</summary>
    public static bool IsTrainable(ModelEntry e) => e.Family != ModelFamily.Clip;
}
