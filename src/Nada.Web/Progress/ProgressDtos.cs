using Nada.Web.Data;

namespace Nada.Web.Progress;

/// <summary>A preview grid: its step and where to fetch it.</summary>
public sealed record PreviewDto(int Step, string Url);

/// <summary>A job's state and history as sent by the API and the hub.</summary>
public sealed record JobProgressDto(
    Guid JobId,
    string Title,
    JobStatus Status,
    int Step,
    int TotalSteps,
    IReadOnlyList<LossPoint> Losses,
    IReadOnlyList<PreviewDto> Previews,
    string? Error,
    Guid? DomainId,
    int? QueuePosition,
    IReadOnlyList<string> Warnings,
    DateTimeOffset? EstimatedStart = null,
    JobKind Kind = JobKind.Adaptation,
    int Priority = 0,
    int? ResumedFromStep = null)
{
    /// <summary>The preview URL of a job step; holders of a share link append their token.</summary>
    public static string PreviewUrl(Guid jobId, int step, string? shareToken = null) =>
        $"/files/jobs/{jobId}/previews/{step}" + (shareToken is null ? "" : $"?share={Uri.EscapeDataString(shareToken)}");

    public static JobProgressDto From(JobProgressSnapshot s, string title, int totalSteps, int? queuePosition, string? shareToken = null,
        DateTimeOffset? estimatedStart = null, JobKind kind = JobKind.Adaptation, int priority = 0) =>
        new(s.JobId, title, s.Status, s.Step, totalSteps > 0 ? totalSteps : s.TotalSteps, s.Losses,
            s.PreviewSteps.Select(p => new PreviewDto(p, PreviewUrl(s.JobId, p, shareToken))).ToList(), s.Error, s.DomainId, queuePosition, s.Warnings,
            estimatedStart, kind, priority, s.RunStartedFromStep > 0 ? s.RunStartedFromStep : null);

    /// <summary>The progress of a job as its owner (or an admin) sees it: the database's status over the store's history.</summary>
    public static JobProgressDto For(JobRecord job, JobProgressSnapshot s, Jobs.QueuePlace? place) =>
        From(s with { Status = job.Status, Error = job.Error, DomainId = job.DomainId }, job.Title, job.TotalSteps, place?.Position, null,
            place?.EstimatedStart, job.Kind, job.Priority);
}

/// <summary>Hub message: the losses of one step.</summary>
public sealed record StepMessage(Guid JobId, int Step, int TotalSteps, IReadOnlyDictionary<string, double> Losses);

/// <summary>Hub message: a new preview grid.</summary>
public sealed record PreviewMessage(Guid JobId, int Step, string Url);

/// <summary>Hub message: a warning of the engine that did not stop the run.</summary>
public sealed record WarningMessage(Guid JobId, string Message);

/// <summary>Hub message: a status change.</summary>
public sealed record StatusMessage(Guid JobId, JobStatus Status, string? Error, Guid? DomainId);
