namespace Nada.Web.Data;

/// <summary>Where a job stands.</summary>
public enum JobStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>What a job does.</summary>
public enum JobKind
{
    /// <summary>Adapt a generator to a new domain (<see cref="Jobs.JobSpec"/>).</summary>
    Adaptation,
    /// <summary>Optimise one latent toward a text (<see cref="Edits.EditSpec"/>).</summary>
    LatentEdit,
    /// <summary>Invert an uploaded photo into a latent (<see cref="Edits.EditSpec"/>).</summary>
    PhotoInvert,
}

/// <summary>One job: who asked, what, and how it went.</summary>
public sealed class JobRecord
{
    public Guid Id { get; set; }

    /// <summary>What the job does; decides the shape of <see cref="SpecJson"/>.</summary>
    public JobKind Kind { get; set; }

    public required string OwnerId { get; set; }
    public AppUser? Owner { get; set; }
    public JobStatus Status { get; set; }

    /// <summary>The submitted form (<see cref="Jobs.JobSpec"/>, or <see cref="Edits.EditSpec"/> for edits) as JSON.</summary>
    public required string SpecJson { get; set; }

    /// <summary>Short description for lists: "photo -> sketch".</summary>
    public required string Title { get; set; }

    /// <summary>The Hangfire job id of the latest enqueue.</summary>
    public string? HangfireId { get; set; }

    /// <summary>Set when the owner or an admin asked to cancel.</summary>
    public bool CancelRequested { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Times the engine was started for this job (more than one after a restart).</summary>
    public int Attempts { get; set; }

    /// <summary>A message for the user when the job failed.</summary>
    public string? Error { get; set; }

    /// <summary>The domain this job produced, when it succeeded.</summary>
    public Guid? DomainId { get; set; }
}
