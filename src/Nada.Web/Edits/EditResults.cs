using System.Text.Json;
using Nada.Web.Options;

namespace Nada.Web.Edits;

/// <summary>Scores of a finished edit or inversion, kept beside its files.</summary>
/// <param name="StartScore">CLIP score (edit) or reconstruction error (inversion) at the start.</param>
/// <param name="FinalScore">The same at the end.</param>
public sealed record EditScores(double StartScore, double FinalScore);

/// <summary>Where an edit or inversion job keeps its results: <c>runs/JOB/result/</c>.</summary>
public sealed class EditResults(DataPaths paths)
{
    /// <summary>The files a user can fetch, by the name used in URLs.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["latent"] = "latent.safetensors",
        ["image"] = "image.png",
        ["strip"] = "strip.png",
        ["start"] = "start.png",
    };

    /// <summary>The result folder of a job.</summary>
    public string Dir(Guid jobId) => Path.Combine(paths.RunDir(jobId), "result");

    /// <summary>The job's latent file (present once it succeeded).</summary>
    public string LatentFile(Guid jobId) => Path.Combine(Dir(jobId), Files["latent"]);

    /// <summary>The file behind a URL name, or null for an unknown name or a missing file.</summary>
    public string? File(Guid jobId, string name) =>
        Files.TryGetValue(name, out var f) && System.IO.File.Exists(Path.Combine(Dir(jobId), f)) ? Path.Combine(Dir(jobId), f) : null;

    /// <summary>The URL names of the files present.</summary>
    public IReadOnlyList<string> Present(Guid jobId) => Files.Keys.Where(n => File(jobId, n) is not null).ToList();

    /// <summary>The URL of a result file.</summary>
    public static string Url(Guid jobId, string name) => $"/files/edits/{jobId}/{name}";

    /// <summary>Copies the engine's image to <c>image.png</c> (one name for edits and inversions) and saves the scores.</summary>
    public void Record(Guid jobId, string enginePng, EditScores scores)
    {
        var target = Path.Combine(Dir(jobId), Files["image"]);
        if (Path.GetFullPath(enginePng) != Path.GetFullPath(target)) System.IO.File.Copy(enginePng, target, overwrite: true);
        System.IO.File.WriteAllText(Path.Combine(Dir(jobId), "scores.json"), JsonSerializer.Serialize(scores));
    }

    /// <summary>An engine message for the user: files named relative to the data and models folders, not by server path.</summary>
    public string ForUser(string message) => message
        .Replace(paths.ModelsDir + Path.DirectorySeparatorChar, "models/")
        .Replace(paths.DataDir + Path.DirectorySeparatorChar, "");

    /// <summary>The saved scores, or null.</summary>
    public EditScores? Scores(Guid jobId)
    {
        var f = Path.Combine(Dir(jobId), "scores.json");
        try { return System.IO.File.Exists(f) ? JsonSerializer.Deserialize<EditScores>(System.IO.File.ReadAllText(f)) : null; }
        catch (JsonException) { return null; }
    }
}
