using Nada.Core.Adaptation;
using Nada.Core.Runs;
using Nada.Web.Options;

namespace Nada.Web.Domains;

/// <summary>A gallery domain's files, relative to the data folder (as the database stores them).</summary>
/// <param name="Directory">The domain folder.</param>
/// <param name="GeneratorFile">The adapted generator.</param>
/// <param name="ThumbnailFile">The preview grid.</param>
public sealed record DomainFiles(string Directory, string GeneratorFile, string ThumbnailFile);

/// <summary>
/// Where gallery domains live on disk: <c>DataDir/domains/ID/</c>, apart from runs, so deleting a job keeps its domain.
/// The one place that moves a finished run's domain into the gallery and deletes it again.
/// </summary>
public sealed class DomainStore(DataPaths paths)
{
    /// <summary>The folder of a domain.</summary>
    public string Dir(Guid domainId) => Path.Combine(paths.DomainsDir, domainId.ToString("N"));

    /// <summary>Moves the domain folder of a finished adaptation into the gallery under <paramref name="domainId"/>.</summary>
    public DomainFiles Import(Guid domainId, RunLayout run, AdaptationResult result)
    {
        string dir = Dir(domainId);
        Directory.CreateDirectory(paths.DomainsDir);
        var source = Path.GetFullPath(result.DomainDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (source == run.Root)
            CopyTree(source, dir);   // an engine that made the run folder itself the domain: keep the run's history in place
        else
            Directory.Move(source, dir);
        string Moved(string file) => paths.ToRelative(Path.Combine(dir, Path.GetRelativePath(source, Path.GetFullPath(file))));
        return new DomainFiles(paths.ToRelative(dir), Moved(result.GeneratorFile), Moved(result.PreviewPng));
    }

    /// <summary>
    /// Copies one compact domain of a finished compact run (its file and preview) into the gallery under
    /// <paramref name="domainId"/>: each target of a run is its own gallery domain with its own folder.
    /// </summary>
    public DomainFiles ImportCompact(Guid domainId, CompactDomainResult domain)
    {
        string dir = Dir(domainId);
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, Path.GetFileName(domain.File));
        string preview = Path.Combine(dir, Path.GetFileName(domain.PreviewPng));
        File.Copy(domain.File, file, overwrite: true);
        File.Copy(domain.PreviewPng, preview, overwrite: true);
        return new DomainFiles(paths.ToRelative(dir), paths.ToRelative(file), paths.ToRelative(preview));
    }

    /// <summary>A new, empty gallery folder for a domain made on the web (a saved mix); returns its absolute path.</summary>
    public string CreateDir(Guid domainId)
    {
        string dir = Dir(domainId);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Relative path (as the database stores it) of a file under the data folder.</summary>
    public string ToRelative(string absolute) => paths.ToRelative(absolute);

    /// <summary>Deletes a domain's folder (the database row is the caller's).</summary>
    public void Delete(Guid domainId)
    {
        var dir = Dir(domainId);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)), overwrite: true);
    }
}
