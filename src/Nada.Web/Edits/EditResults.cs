using System.Text.Json;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Edits;

/// <summary>Scores of a finished edit or inversion.</summary>
/// <param name="StartScore">CLIP score (edit) or reconstruction error (inversion) at the start.</param>
/// <param name="FinalScore">The same at the end.</param>
public sealed record EditScores(double StartScore, double FinalScore);

/// <summary>
/// The results of an edit or inversion job, as the engine wrote them in the job's run folder (<c>result/</c>): the
/// latent, the image (edited.png or reconstruction.png), the before/after strip, the start image, and the summary
/// with the scores (edit.json or inversion.json); and the uploaded photo of a photo job (<c>inputs/photo.png</c>). Nothing is
/// copied: the files are served as they are.
/// </summary>
public sealed class EditResults(DataPaths paths)
{
    /// <summary>The file names a user can fetch, in URL order.</summary>
    public static readonly IReadOnlyList<string> Names = ["latent", "image", "strip", "start", "photo"];

    /// <summary>The result folder of a job.</summary>
    public string Dir(Guid jobId) => paths.Run(jobId).ResultDir;

    /// <summary>The job's latent file (present once it succeeded).</summary>
    public string LatentFile(Guid jobId) => Path.Combine(Dir(jobId), "latent.safetensors");

    /// <summary>The file behind a URL name, or null for an unknown name or a missing file.</summary>
    public string? File(Guid jobId, string name)
    {
        if (name == "photo")   // the uploaded photo as the job stored it (a PNG we wrote: inputs/photo.png)
        {
            var photo = Path.Combine(paths.Run(jobId).InputsDir, "photo.png");
            return System.IO.File.Exists(photo) ? photo : null;
        }
        string[] candidates = name switch
        {
            "latent" => ["latent.safetensors"],
            "image" => ["edited.png", "reconstruction.png", "image.png"],
            "strip" => ["strip.png"],
            "start" => ["start.png"],
            _ => [],
        };
        return candidates.Select(c => Path.Combine(Dir(jobId), c)).FirstOrDefault(System.IO.File.Exists);
    }

    /// <summary>The URL names of the files present.</summary>
    public IReadOnlyList<string> Present(Guid jobId) => Names.Where(n => File(jobId, n) is not null).ToList();

    /// <summary>The URL of a result file.</summary>
    public static string Url(Guid jobId, string name) => $"/files/edits/{jobId}/{name}";

    /// <summary>The scores from the engine's summary, or null.</summary>
    public EditScores? Scores(Guid jobId)
    {
        foreach (var (file, start, final) in new[] { ("edit.json", "StartScore", "FinalScore"), ("inversion.json", "StartMse", "FinalMse") })
        {
            var path = Path.Combine(Dir(jobId), file);
            if (!System.IO.File.Exists(path)) continue;
            try
            {
                using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
                var r = doc.RootElement.GetProperty("result");
                return new EditScores(r.GetProperty(start).GetDouble(), r.GetProperty(final).GetDouble());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { return null; }
        }
        return null;
    }
}
