using System.ComponentModel;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Nada.Web.Data;

namespace Nada.Web.Jobs;

/// <summary>
/// The Hangfire job on the "gpu" queue. It is a ticket, not a particular job: when a worker takes it, it claims the
/// job that should run next by the fair-share rule (<see cref="JobDispatcher"/>), runs it, and goes on with the next
/// until none may start. So the order is decided when a GPU frees up, not when jobs were submitted, and a lost ticket
/// (in-memory storage after a crash) loses no job: the database is the queue.
/// </summary>
public sealed class JobRunner(IDbContextFactory<NadaDbContext> dbFactory, JobDispatcher dispatcher, JobLifecycle lifecycle, JobTickets tickets, RecoveryGate recovered)
{
    /// <summary>Runs queued jobs until none may start. Hangfire fires <paramref name="cancellationToken"/> on shutdown.</summary>
    [Queue(JobTickets.Queue)]
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Run the next queued GPU jobs")]
    public void RunQueued(CancellationToken cancellationToken)
    {
        tickets.Started();
        try
        {
            // Nothing is claimed before the jobs of this box's previous process are back in the queue.
            recovered.WaitAsync(cancellationToken).GetAwaiter().GetResult();
            while (!cancellationToken.IsCancellationRequested)
            {
                using var db = dbFactory.CreateDbContext();
                var job = dispatcher.ClaimNextAsync(db, cancellationToken).GetAwaiter().GetResult();
                if (job is null) return;
                lifecycle.Run(db, job, cancellationToken);
            }
        }
        finally
        {
            tickets.Finished();
        }
    }
}
