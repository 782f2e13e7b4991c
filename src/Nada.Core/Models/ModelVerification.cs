namespace Nada.Core.Models;

/// <summary>Outcome of checking a model file on disk.</summary>
public enum VerificationStatus
{
    /// <summary>No file at the expected path.</summary>
    Missing,
    /// <summary>The file's SHA-256 equals the hash the publisher gives.</summary>
    Verified,
    /// <summary>No published hash; the file's SHA-256 equals the one recorded in its sidecar.</summary>
    MatchesRecorded,
    /// <summary>No published hash and no sidecar yet; the file's hash has just been recorded (trust on first use).</summary>
    RecordedNow,
    /// <summary>The file's SHA-256 differs from the published or recorded hash.</summary>
    Mismatch,
    /// <summary>The file's size differs from the size in the registry.</summary>
    SizeMismatch,
}

/// <summary>Result of <see cref="ModelStore.Verify"/>: status, hashes and a one-line explanation.</summary>
public sealed record ModelVerification(
    string ModelId,
    string Path,
    VerificationStatus Status,
    string? ActualSha256,
    string? ExpectedSha256,
    string Message)
{
    /// <summary>True when the file is present and consistent with every hash we know.</summary>
    public bool IsOk => Status is VerificationStatus.Verified or VerificationStatus.MatchesRecorded or VerificationStatus.RecordedNow;
}

/// <summary>A registry entry with its state in a models folder (no hashing: cheap enough for a table).</summary>
/// <param name="Entry">The registry entry.</param>
/// <param name="Path">Where the file lives (or would live) in the models folder.</param>
/// <param name="IsPresent">The file exists.</param>
/// <param name="SizeOnDisk">Its size when present.</param>
/// <param name="RecordedSha256">Hash recorded in the sidecar, if any.</param>
public sealed record ModelStatus(ModelEntry Entry, string Path, bool IsPresent, long? SizeOnDisk, string? RecordedSha256);
