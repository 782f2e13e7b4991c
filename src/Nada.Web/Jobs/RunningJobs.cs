using System.Collections.Concurrent;

namespace Nada.Web.Jobs;

/// <summary>Jobs running in this process, so a cancel reaches the engine at once (Hangfire's own check is periodic).</summary>
public sealed class RunningJobs
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    /// <summary>Registers a running job; the returned source also fires with <paramref name="hangfireToken"/>.</summary>
    public CancellationTokenSource Start(Guid jobId, CancellationToken hangfireToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(hangfireToken);
        _running[jobId] = cts;
        return cts;
    }

    public void Finish(Guid jobId, CancellationTokenSource cts)
    {
        _running.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(jobId, cts));
        cts.Dispose();
    }

    /// <summary>Whether the job is running here.</summary>
    public bool IsRunningHere(Guid jobId) => _running.ContainsKey(jobId);

    /// <summary>Cancels the job if it runs here; returns whether it did.</summary>
    public bool Cancel(Guid jobId)
    {
        if (!_running.TryGetValue(jobId, out var cts)) return false;
        try { cts.Cancel(); } catch (ObjectDisposedException) { return false; }
        return true;
    }
}
