using Nada.Core.Models;

namespace Nada.Core.Adaptation;

/// <summary>A CLIP model a domain was trained with, as domain files record it (so an evaluator can tell whether it is one of them).</summary>
/// <param name="File">The CLIP file's name (no folder).</param>
/// <param name="Weight">Its weight in the training ensemble.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's bytes.</param>
public sealed record TrainingClip(string File, float Weight, string? Sha256)
{
    /// <summary>The records of a run's CLIP choices; the hash comes from the file's <c>.sha256</c> sidecar when there is one, else from its bytes.</summary>
    public static IReadOnlyList<TrainingClip> Of(IEnumerable<ClipModelChoice> clips, CancellationToken ct = default) =>
        clips.Select(c => new TrainingClip(Path.GetFileName(c.Path), c.Weight, HashOf(c.Path, ct))).ToList();

    /// <summary>The SHA-256 of a model file: its sidecar's when present, else computed.</summary>
    public static string HashOf(string path, CancellationToken ct = default) => Sha256File.ReadSidecar(path) ?? Sha256File.Compute(path, ct);

    /// <summary>
    /// Whether the file with hash <paramref name="sha256"/> (named <paramref name="fileName"/>) is one of <paramref name="clips"/>:
    /// by hash where recorded, else by file name. Null when nothing was recorded.
    /// </summary>
    public static bool? Contains(IReadOnlyList<TrainingClip>? clips, string sha256, string fileName)
    {
        if (clips is null || clips.Count == 0) return null;
        return clips.Any(c => c.Sha256 is { } h
            ? string.Equals(h, sha256, StringComparison.OrdinalIgnoreCase)
            : string.Equals(c.File, fileName, StringComparison.Ordinal));
    }
}
