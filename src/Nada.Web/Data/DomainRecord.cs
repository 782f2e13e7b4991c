namespace Nada.Web.Data;

/// <summary>A finished, adapted generator in the gallery.</summary>
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

    /// <summary>Adapted generator file, relative to the data folder.</summary>
    public required string GeneratorFile { get; set; }

    /// <summary>Preview grid PNG, relative to the data folder.</summary>
    public required string ThumbnailFile { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Share token (32 random bytes, base64url); null when not shared.</summary>
    public string? ShareToken { get; set; }
}
