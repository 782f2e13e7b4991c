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

/// <summary>What a job does; each value has one <see cref="Jobs.Kinds.IJobKind"/>.</summary>
public enum JobKind
{
    /// <summary>Adapt a generator to a new domain.</summary>
    Adaptation,
    /// <summary>Optimise one latent toward a text.</summary>
    LatentEdit,
    /// <summary>Invert an uploaded photo into a latent.</summary>
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

    /// <summary>What was asked, as stored by the job's kind (its spec) as JSON.</summary>
    public required string SpecJson { get; set; }

    /// <summary>Short description for lists: "photo -> sketch".</summary>
    public required string Title { get; set; }

    /// <summary>Steps the job runs in all (its kind's count).</summary>
    public int TotalSteps { get; set; }

    /// <summary>Not used any more: GPU jobs are dispatched by <see cref="Jobs.JobDispatcher"/> (kept for old rows).</summary>
    public string? HangfireId { get; set; }

    /// <summary>Set by an admin: higher runs first, before the fair-share order (default 0).</summary>
    public int Priority { get; set; }

    /// <summary>The box running the job (its <c>Jobs:ServerName</c>), while it runs.</summary>
    public string? ServerId { get; set; }

    /// <summary>Until when the running box vouches for the job; a lease not renewed in time means the box died.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>GPU (device) seconds the job has used, over all its attempts.</summary>
    public double GpuSeconds { get; set; }

    /// <summary>Steps done, as of the running box's last heartbeat (for estimates seen from any box).</summary>
    public int StepsDone { get; set; }

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
