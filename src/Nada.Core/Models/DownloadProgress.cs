namespace Nada.Core.Models;

/// <summary>What a download is doing at the moment of a progress report.</summary>
public enum DownloadPhase
{
    /// <summary>Sending the request (first try, or a resume).</summary>
    Connecting,
    /// <summary>Receiving bytes.</summary>
    Downloading,
    /// <summary>An attempt failed with a transient error; waiting before the next one.</summary>
    Retrying,
    /// <summary>All bytes received; checking size and SHA-256.</summary>
    Verifying,
    /// <summary>The file is in place and verified (downloaded now, or already present).</summary>
    Completed,
}

/// <summary>
/// One progress report of a model download. Reported through <see cref="IProgress{T}"/>; reports come from
/// the downloading thread, so a UI must marshal them itself (Blazor: <c>InvokeAsync</c>).
/// </summary>
/// <param name="ModelId">The registry id being downloaded.</param>
/// <param name="Phase">What is happening.</param>
/// <param name="BytesDone">Bytes of the file on disk so far (including bytes kept from an earlier, resumed attempt).</param>
/// <param name="TotalBytes">Full file size when the server or the registry gives it.</param>
/// <param name="BytesPerSecond">Transfer rate of the current attempt (0 when not downloading).</param>
/// <param name="Eta">Estimated time left; null when the size or rate is unknown.</param>
/// <param name="Url">The URL in use, if any.</param>
/// <param name="Message">A short human-readable note (retry reason, cache hit, resume offset).</param>
public sealed record DownloadProgress(
    string ModelId,
    DownloadPhase Phase,
    long BytesDone,
    long? TotalBytes,
    double BytesPerSecond,
    TimeSpan? Eta,
    string? Url,
    string? Message = null)
{
    /// <summary>Fraction done in [0, 1] when the total is known.</summary>
    public double? Fraction => TotalBytes is > 0 ? Math.Clamp((double)BytesDone / TotalBytes.Value, 0, 1) : null;
}
