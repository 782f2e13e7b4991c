using Microsoft.Extensions.Options;
using Nada.Core.Runs;

namespace Nada.Web.Options;

/// <summary>Absolute paths of the app's folders, resolved once from <see cref="NadaOptions"/>.</summary>
public sealed class DataPaths
{
    public DataPaths(IOptions<NadaOptions> options, IHostEnvironment env)
    {
        DataDir = Path.GetFullPath(options.Value.DataDir, env.ContentRootPath);
        ModelsDir = Path.GetFullPath(options.Value.ModelsDir, env.ContentRootPath);
        Directory.CreateDirectory(DataDir);
        Directory.CreateDirectory(ModelsDir);
    }

    /// <summary>Root of everything the app writes.</summary>
    public string DataDir { get; }

    /// <summary>Root of the model files (generators/, clip/).</summary>
    public string ModelsDir { get; }

    /// <summary>The app's SQLite database file.</summary>
    public string DatabaseFile => Path.Combine(DataDir, "nada.db");

    /// <summary>The run folder of a job (<see cref="RunLayout"/>: inputs, history, previews, checkpoints, results).</summary>
    public string RunDir(Guid jobId) => Path.Combine(DataDir, "runs", jobId.ToString("N"));

    /// <summary>The layout of a job's run folder.</summary>
    public RunLayout Run(Guid jobId) => new(RunDir(jobId));

    /// <summary>Where jobs made before run folders held their inputs kept their uploads (read for old jobs, deleted with them).</summary>
    public string LegacyUploadDir(Guid jobId) => Path.Combine(DataDir, "uploads", jobId.ToString("N"));

    /// <summary>The gallery's domain folders.</summary>
    public string DomainsDir => Path.Combine(DataDir, "domains");

    /// <summary>A file a job's spec names: relative to its run folder ("inputs/..."), or, for jobs made before, to the data folder.</summary>
    public string ResolveJobFile(Guid jobId, string relative) =>
        relative.StartsWith("inputs/", StringComparison.Ordinal) ? Run(jobId).Resolve(relative) : ResolveData(relative);

    /// <summary>Resolves a path stored relative to the data folder, refusing anything outside it.</summary>
    public string ResolveData(string relative)
    {
        var full = Path.GetFullPath(Path.Combine(DataDir, relative));
        if (!full.StartsWith(DataDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"Path '{relative}' is outside the data folder.");
        return full;
    }

    /// <summary>A path under the data folder, made relative for storage in the database.</summary>
    public string ToRelative(string full) => Path.GetRelativePath(DataDir, full);
}
