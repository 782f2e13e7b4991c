using Nada.Core.Adaptation;

namespace Nada.Web.Data;

/// <summary>A finished domain in the gallery: an adapted generator (full) or a compact domain of its base generator.</summary>
public sealed class DomainRecord
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public required string OwnerId { get; set; }
    public AppUser? Owner { get; set; }

    public required string SourceText { get; set; }
    public required string TargetText { get; set; }
    public required string BaseModel { get; set; }

    /// <summary>The job's settings (<see cref="Jobs.Kinds.AdaptationSpec"/>) as JSON.</summary>
    public required string SettingsJson { get; set; }

    /// <summary>Domain folder, relative to the data folder.</summary>
    public required string Directory { get; set; }

    /// <summary>Full: a fine-tuned generator; compact: offsets of the base generator (<see cref="BaseModel"/>).</summary>
    public DomainKind Kind { get; set; } = DomainKind.Full;

    /// <summary>Size of <see cref="GeneratorFile"/> in bytes (what a download of the domain costs).</summary>
    public long SizeBytes { get; set; }

    /// <summary>The evaluator's scores (<see cref="Nada.Core.Evaluation.DomainScores"/>) as JSON; null when not scored.</summary>
    public string? ScoresJson { get; set; }

    /// <summary>A saved mix: its recipe (<see cref="Domains.MixRecipe"/>) as JSON; null for a trained domain.</summary>
    public string? RecipeJson { get; set; }

    /// <summary>Adapted generator file (compact: the compact domain file), relative to the data folder.</summary>
    public required string GeneratorFile { get; set; }

    /// <summary>Preview grid PNG, relative to the data folder.</summary>
    public required string ThumbnailFile { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Share token (32 random bytes, base64url); null when not shared.</summary>
    public string? ShareToken { get; set; }

    /// <summary>When the owner put it in Explore (public, through its share link); null when not public.</summary>
    public DateTimeOffset? PublishedAt { get; set; }
}
