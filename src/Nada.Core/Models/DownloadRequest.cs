namespace Nada.Core.Models;

/// <summary>One file to fetch: where from, where to, and what it must look like.</summary>
/// <param name="ModelId">Registry id (for progress reports and messages).</param>
/// <param name="Urls">Sources tried in order; a later one is used only when an earlier one is missing or unreachable.</param>
/// <param name="DestinationPath">Final path; bytes go to <c>DestinationPath + ".part"</c> until verified.</param>
/// <param name="ExpectedSha256">Lower-case hex SHA-256 the file must have, or null when unknown.</param>
/// <param name="ExpectedSha256Origin">Where that hash comes from, for the mismatch message.</param>
/// <param name="ExpectedSize">Byte count the file must have, or null when unknown.</param>
public sealed record DownloadRequest(
    string ModelId,
    IReadOnlyList<string> Urls,
    string DestinationPath,
    string? ExpectedSha256,
    string? ExpectedSha256Origin,
    long? ExpectedSize);

/// <summary>A file that was downloaded, verified where possible and moved into place.</summary>
public sealed record DownloadedFile(string Path, string Sha256, long Length, string Url);
