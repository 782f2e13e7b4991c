using Nada.Web.Options;

namespace Nada.Web.Engine;

/// <summary>Lists the files in ModelsDir/generators and ModelsDir/clip.</summary>
public sealed class FolderModelCatalog(DataPaths paths) : IModelCatalog
{
    // Weight files only: a JSON config beside a safetensors file is not a second model.
    private static readonly string[] Extensions = [".pkl", ".pt", ".pth", ".safetensors", ".nada"];

    public IReadOnlyList<ModelEntry> Generators() => List("generators");

    public IReadOnlyList<ModelEntry> ClipModels() => List("clip");

    private IReadOnlyList<ModelEntry> List(string sub)
    {
        var dir = Path.Combine(paths.ModelsDir, sub);
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new ModelEntry(Path.GetFileName(f), Path.GetFileNameWithoutExtension(f), f, new FileInfo(f).Length))
            .ToList();
    }
}
