namespace Nada.Web.Jobs;

/// <summary>
/// Closed until this box has put back in the queue the jobs that its previous process left running
/// (<see cref="JobRecovery.RecoverOwnAsync"/>); this box claims no job while it is closed. The recovery runs in a
/// background service, whose first turn waits for a thread-pool thread, while the job storage's workers start at once.
/// Without the gate a job claimed in those moments (a ticket left in a persistent job storage, or a new submission)
/// carries this box's name like the jobs of the stopped process, and the recovery put it back while it ran: its
/// heartbeat lost the lease, the run stopped and started again from a checkpoint (seen on a busy machine: a resumed
/// job run twice, from step 5 and from step 20; made certain by <c>RestartResumeTests</c>' late recovery).
/// </summary>
public sealed class RecoveryGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the recovery ran.</summary>
    public bool IsOpen => _open.Task.IsCompleted;

    /// <summary>Opens the gate (the recovery ran, or this box trains nothing).</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>Completes when the gate is open.</summary>
    public Task WaitAsync(CancellationToken ct) => _open.Task.WaitAsync(ct);
}
