using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Jobs;
using Nada.Web.Security;

namespace Nada.Web.Progress;

/// <summary>
/// SignalR hub at /hubs/progress: one group per job. Owners, admins and holders of the job's domain share token
/// may join; everyone else is told the job was not found. Messages: "step", "preview", "status". A connection that
/// joined through a share link is dropped when the link is revoked (<see cref="ShareLinkViewers"/>).
/// </summary>
[Authorize(Policy = ProgressHub.Policy)]
public sealed class ProgressHub(JobService jobs, DomainService domains, ProgressStore store, ShareLinkViewers viewers) : Hub
{
    /// <summary>Signed in, or carrying something shaped like a share token (checked per job in <see cref="JoinJob"/>).</summary>
    public const string Policy = "ProgressHubAccess";

    public static string Group(Guid jobId) => $"job-{jobId:N}";

    /// <summary>Joins a job's group and returns its history so far.</summary>
    public async Task<JobProgressDto> JoinJob(Guid jobId, string? shareToken = null)
    {
        shareToken ??= Context.GetHttpContext()?.Request.Query["share"].ToString();
        if (string.IsNullOrEmpty(shareToken)) shareToken = null;
        var user = Context.User!;
        var job = await jobs.GetAsync(user, jobId);
        if (job is not null)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, Group(jobId));
            // The database is the truth for the status; the run folder (through the store) for the history.
            var place = job.Status == JobStatus.Queued ? await jobs.PlaceAsync(jobId) : null;
            return JobProgressDto.For(job, store.Get(jobId, job.Status), place);
        }
        if (await domains.TokenOpensJobAsync(jobId, shareToken) && await jobs.StatusAsync(jobId) is { } status)
        {
            viewers.Joined(Context, jobId, shareToken!);
            await Groups.AddToGroupAsync(Context.ConnectionId, Group(jobId));
            // Revoked between the check and the join: leave again at once.
            if (!await domains.TokenOpensJobAsync(jobId, shareToken))
            {
                viewers.Left(Context.ConnectionId);
                await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(jobId));
                throw new HubException("Job not found.");
            }
            return JobProgressDto.From(store.Get(jobId, status) with { Status = status }, "shared job", 0, null, shareToken);
        }
        throw new HubException("Job not found.");
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        viewers.Left(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Leaves a job's group.</summary>
    public Task LeaveJob(Guid jobId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(jobId));
}
