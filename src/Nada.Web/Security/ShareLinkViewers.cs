using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Nada.Web.Progress;

namespace Nada.Web.Security;

/// <summary>
/// The hub connections that joined a job through a share link, so that revoking (or replacing) the link drops them
/// at once: they leave the job's group and the server closes the connection. In memory, on the box that serves them.
/// </summary>
public sealed class ShareLinkViewers(IHubContext<ProgressHub> hub, ILogger<ShareLinkViewers> logger)
{
    private sealed record Viewer(HubCallerContext Connection, Guid JobId, string Token);

    private readonly ConcurrentDictionary<string, Viewer> _viewers = new();

    /// <summary>Remembers that <paramref name="connection"/> watches <paramref name="jobId"/> through <paramref name="token"/>.</summary>
    public void Joined(HubCallerContext connection, Guid jobId, string token) =>
        _viewers[connection.ConnectionId + "/" + jobId.ToString("N")] = new Viewer(connection, jobId, token);

    /// <summary>Forgets a closed connection.</summary>
    public void Left(string connectionId)
    {
        foreach (var key in _viewers.Keys.Where(k => k.StartsWith(connectionId + "/", StringComparison.Ordinal)))
            _viewers.TryRemove(key, out _);
    }

    /// <summary>
    /// The link of job <paramref name="jobId"/>'s domain is now <paramref name="liveToken"/> (null: revoked): every
    /// connection that joined with another token is dropped.
    /// </summary>
    public async Task LinkChangedAsync(Guid jobId, string? liveToken)
    {
        foreach (var (key, v) in _viewers.Where(p => p.Value.JobId == jobId && p.Value.Token != liveToken).ToList())
        {
            if (!_viewers.TryRemove(key, out _)) continue;
            await hub.Groups.RemoveFromGroupAsync(v.Connection.ConnectionId, ProgressHub.Group(jobId));
            v.Connection.Abort();
            logger.LogInformation("Dropped a share-link viewer of job {JobId}: the link was revoked", jobId);
        }
    }
}
