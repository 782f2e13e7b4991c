using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Options;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>
/// Puts <see cref="JobRunner"/> tickets on the "gpu" queue: one when a job is submitted or re-queued, and whenever the
/// sweep sees queued jobs while this box has idle slots. Tickets beyond what can run are cheap (they find nothing to
/// claim and end), so this errs on the side of one too many.
/// </summary>
public sealed class JobTickets(IBackgroundJobClient hangfire, IOptions<JobsOptions> options)
{
    /// <summary>The Hangfire queue of GPU work.</summary>
    public const string Queue = "gpu";

    private int _active;

    /// <summary>Job slots of this box (0 for a box that only serves the web).</summary>
    public int LocalSlots => options.Value.Trains ? Math.Max(0, options.Value.GpuCount) * Math.Max(1, options.Value.JobsPerGpu) : 0;

    /// <summary>Slots assumed for estimates: this box's, or one when this box does not train.</summary>
    public int TrainingSlots => Math.Max(1, LocalSlots);

    /// <summary>Tickets of this box running now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Enqueues a ticket.</summary>
    public void Signal() => hangfire.Create<JobRunner>(r => r.RunQueued(CancellationToken.None), new EnqueuedState(Queue));

    /// <summary>Enqueues tickets for this box's idle slots (the sweep's part).</summary>
    public void FillIdleSlots()
    {
        for (int i = Active; i < LocalSlots; i++) Signal();
    }

    internal void Started() => Interlocked.Increment(ref _active);

    internal void Finished() => Interlocked.Decrement(ref _active);
}
