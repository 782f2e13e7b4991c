using System.Collections.Concurrent;
using Nada.Core.Models;
using Nada.Web.Cluster;

namespace Nada.Web.ModelAdmin;

/// <summary>A model's download state or verification, as sent between boxes.</summary>
public sealed record ModelChange(string Id, ModelActivity? Activity, ModelVerification? Verification);

/// <summary>
/// The download state of every registry model (singleton), and an event raised on each change, so every admin
/// watching the models page sees the same progress, whichever box downloads. Also remembers the latest verification
/// of each model. Changes made here go out on the cluster bus; those of other boxes come in.
/// </summary>
public sealed class ModelDownloadNotifier
{
    /// <summary>The bus topic of model changes.</summary>
    public const string Topic = "models";

    private readonly TimeProvider time;
    private readonly IClusterBus? bus;

    public ModelDownloadNotifier(TimeProvider time, IClusterBus? bus = null)
    {
        (this.time, this.bus) = (time, bus);
        bus?.Subscribe<ModelChange>(Topic, c =>
        {
            if (c.Activity is { } a) _activity[c.Id] = a;
            if (c.Verification is { } v) _verifications[c.Id] = v;
            Raise(c.Id, publish: false);
        });
    }

    private readonly ConcurrentDictionary<string, ModelActivity> _activity = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ModelVerification> _verifications = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>Raised (on the reporting thread) after a model's download state or verification changed; the argument is its id.</summary>
    public event Action<string>? Changed;

    /// <summary>The latest download state of a model, or null when none ran in this process.</summary>
    public ModelActivity? Activity(string id) => _activity.GetValueOrDefault(id);

    /// <summary>The latest verification of a model in this process, or null.</summary>
    public ModelVerification? Verification(string id) => _verifications.GetValueOrDefault(id);

    /// <summary>Marks a model queued unless a download of it is already queued or running; false when one is.</summary>
    public bool TryMarkQueued(string id)
    {
        lock (_gate)
        {
            if (_activity.TryGetValue(id, out var current) && current.IsBusy) return false;
            _activity[id] = new ModelActivity(id, ModelActivityKind.Queued, null, null, time.GetUtcNow());
        }
        Raise(id);
        return true;
    }

    /// <summary>Records a downloader report (any thread).</summary>
    public void Report(DownloadProgress progress)
    {
        var kind = progress.Phase == DownloadPhase.Completed ? ModelActivityKind.Completed : ModelActivityKind.Downloading;
        _activity[progress.ModelId] = new ModelActivity(progress.ModelId, kind, progress, null, time.GetUtcNow());
        Raise(progress.ModelId);
    }

    /// <summary>Records a finished download.</summary>
    public void Completed(string id, string message)
    {
        var last = Activity(id)?.Progress;
        var done = last is null ? null : last with { Phase = DownloadPhase.Completed, Message = message, Eta = TimeSpan.Zero };
        _activity[id] = new ModelActivity(id, ModelActivityKind.Completed, done, null, time.GetUtcNow());
        Raise(id);
    }

    /// <summary>Records a failed download with the downloader's message.</summary>
    public void Failed(string id, string error)
    {
        _activity[id] = new ModelActivity(id, ModelActivityKind.Failed, Activity(id)?.Progress, error, time.GetUtcNow());
        Raise(id);
    }

    /// <summary>Records a verification result.</summary>
    public void Verified(ModelVerification result)
    {
        _verifications[result.ModelId] = result;
        Raise(result.ModelId);
    }

    private void Raise(string id, bool publish = true)
    {
        if (publish) bus?.Publish(Topic, new ModelChange(id, Activity(id), Verification(id)));
        foreach (var handler in Changed?.GetInvocationList() ?? [])
        {
            try { ((Action<string>)handler)(id); }
            catch (Exception) { /* a broken page must not stop the download */ }
        }
    }
}
