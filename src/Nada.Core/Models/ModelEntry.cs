namespace Nada.Core.Models;

/// <summary>
/// One downloadable model in the registry: what it is, where the publisher serves it, and how to check it.
/// </summary>
/// <param name="Id">Short stable id used on the command line and in the database (e.g. <c>sg2-ffhq-1024</c>).</param>
/// <param name="DisplayName">Human-readable name for tables and the admin page.</param>
/// <param name="Domain">What the model produces or understands (e.g. "human faces (FFHQ)").</param>
/// <param name="Resolution">Output resolution in pixels (generators) or input resolution (CLIP).</param>
/// <param name="Family">Network family.</param>
/// <param name="Format">On-disk format of the published file.</param>
/// <param name="FileName">Name of the file inside the models folder.</param>
/// <param name="Urls">Publisher URLs, tried in order.</param>
/// <param name="Sha256">Lower-case hex SHA-256 given by the publisher; null when none is published.</param>
/// <param name="SizeBytes">File size in bytes where the publisher gives it; null otherwise.</param>
/// <param name="License">Licence note.</param>
/// <param name="SourcePage">The publisher page the URLs (and hash) were taken from.</param>
/// <param name="SourceNote">Where exactly on that page, and anything a reader should know about the source.</param>
public sealed record ModelEntry(
    string Id,
    string DisplayName,
    string Domain,
    int Resolution,
    ModelFamily Family,
    ModelFormat Format,
    string FileName,
    IReadOnlyList<string> Urls,
    string? Sha256,
    long? SizeBytes,
    string License,
    string SourcePage,
    string? SourceNote = null)
{
    /// <summary>True when the publisher gives a SHA-256 for the file.</summary>
    public bool HashPublished => Sha256 is not null;
}
