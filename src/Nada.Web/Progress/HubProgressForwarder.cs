using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace Nada.Web.Progress;

/// <summary>Forwards every progress event from the store to the job's hub group, in order, off the training thread.</summary>
public sealed class HubProgressForwarder(ProgressStore store, IHubContext<ProgressHub> hub, ILogger<HubProgressForwarder> logger)
    : BackgroundService
{
    private readonly Channel<ProgressEvent> _events = Channel.CreateUnbounded<ProgressEvent>(new UnboundedChannelOptions { SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        store.Published += OnPublished;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        store.Published -= OnPublished;
        _events.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    // Only what happened on this box: with several boxes, the SignalR backplane carries it to every box's connections.
    private void OnPublished(ProgressEvent e)
    {
        if (!e.Remote) _events.Writer.TryWrite(e);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                var group = hub.Clients.Group(ProgressHub.Group(e.JobId));
                switch (e.Kind)
                {
                    case ProgressEventKind.Step:
                        await group.SendAsync("step", new StepMessage(e.JobId, e.Step, e.TotalSteps, e.Losses!), stoppingToken);
                        break;
                    case ProgressEventKind.Preview:
                        await group.SendAsync("preview", new PreviewMessage(e.JobId, e.Step, JobProgressDto.PreviewUrl(e.JobId, e.Step)), stoppingToken);
                        break;
                    case ProgressEventKind.Warning:
                        await group.SendAsync("warning", new WarningMessage(e.JobId, e.Message!), stoppingToken);
                        break;
                    case ProgressEventKind.Status:
                        await group.SendAsync("status", new StatusMessage(e.JobId, e.Status!.Value, e.Error, e.DomainId), stoppingToken);
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Sending progress of job {JobId} to its watchers failed", e.JobId);
            }
        }
    }
}
