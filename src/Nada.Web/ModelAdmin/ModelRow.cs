using Nada.Core.Models;

namespace Nada.Web.ModelAdmin;

/// <summary>Download progress of a model as the API and the page show it.</summary>
/// <param name="Phase">Connecting, Downloading, Retrying, Verifying or Completed.</param>
/// <param name="BytesDone">Bytes on disk so far.</param>
/// <param name="TotalBytes">Full size when known.</param>
/// <param name="Percent">0-100 when the size is known.</param>
/// <param name="BytesPerSecond">Current rate.</param>
/// <param name="EtaSeconds">Time left when known.</param>
/// <param name="Message">The downloader's note (retry reason, resume offset).</param>
public sealed record ModelProgressDto(DownloadPhase Phase, long BytesDone, long? TotalBytes, double? Percent, double BytesPerSecond, double? EtaSeconds, string? Message)
{
    public static ModelProgressDto? From(DownloadProgress? p) => p is null ? null
        : new(p.Phase, p.BytesDone, p.TotalBytes, p.Fraction is { } f ? Math.Round(f * 100, 1) : null, p.BytesPerSecond, p.Eta?.TotalSeconds, p.Message);
}

/// <summary>
/// One registry model with its state in the models folder and in this app. <c>Id</c> is the registry id (the id
/// the submit API accepts once the file is present); <c>State</c> is present | missing | queued | downloading |
/// failed; <c>Hash</c> is published (the publisher gives a SHA-256) | recorded (sidecar written at first sight) |
/// unpublished; <c>Trainable</c> is true for generators (every StyleGAN family); <c>Error</c> is the last
/// download's failure message; <c>Verification</c> the latest Verify result in this process ("ok: ..." or "FAILED: ...").
/// </summary>
public sealed record ModelRowDto(
    string Id, string DisplayName, string Domain, string Family, int Resolution, string Format, string FileName,
    string License, string SourcePage, string Path, string State, string Hash, bool Trainable, long? SizeBytes,
    ModelProgressDto? Progress, string? Error, string? Verification);

/// <summary>The models page's data: the registry and where its models are.</summary>
public sealed record ModelListDto(string Registry, string ModelsDir, IReadOnlyList<ModelRowDto> Models);
