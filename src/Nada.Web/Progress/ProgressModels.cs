using Nada.Web.Data;

namespace Nada.Web.Progress;

/// <summary>The losses of one step.</summary>
public sealed record LossPoint(int Step, IReadOnlyDictionary<string, double> Losses);

/// <summary>Everything known about a job's progress, for a page load or a late joiner.</summary>
public sealed record JobProgressSnapshot(
    Guid JobId,
    JobStatus Status,
    int Step,
    int TotalSteps,
    IReadOnlyList<LossPoint> Losses,
    IReadOnlyList<int> PreviewSteps,
    string? Error,
    Guid? DomainId)
{
    /// <summary>Things the user should know that did not stop the run.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>When the current run of the job started in this process (null when not seen here).</summary>
    public DateTimeOffset? RunStartedAt { get; init; }

    /// <summary>Steps already done when the current run started (a resume).</summary>
    public int RunStartedFromStep { get; init; }

    public static JobProgressSnapshot Empty(Guid jobId, JobStatus status) => new(jobId, status, 0, 0, [], [], null, null);

    /// <summary>The step of the newest preview, if any.</summary>
    public int? LastPreviewStep => PreviewSteps.Count > 0 ? PreviewSteps[^1] : null;
}

/// <summary>What changed: a step, a preview or a status.</summary>
public enum ProgressEventKind
{
    Step,
    Preview,
    Status,
    Warning,
    /// <summary>The queue changed around the job (positions may have moved).</summary>
    Queue,
}

/// <summary>One change of a job's progress, as sent to watchers.</summary>
public sealed record ProgressEvent(
    Guid JobId,
    ProgressEventKind Kind,
    int Step,
    int TotalSteps,
    IReadOnlyDictionary<string, double>? Losses,
    JobStatus? Status,
    string? Error,
    Guid? DomainId,
    string? Message = null)
{
    /// <summary>True for an event that happened on another box (heard on the cluster bus).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool Remote { get; init; }
}
