using Nada.Core.Models;
using Nada.Web.Options;

namespace Nada.Web.Engine;

/// <summary>
/// The models users may choose: every registry model present in the models folder (id = registry id, name = its
/// display name; StyleGAN2, StyleGAN2-ADA and StyleGAN3 as generators, CLIP as CLIP models), then the files placed by hand or uploaded in ModelsDir/generators and ModelsDir/clip
/// (id = file name).
/// </summary>
public sealed class FolderModelCatalog(DataPaths paths, ModelStore store) : IModelCatalog
{
    // Weight files only: a JSON config beside a safetensors file is not a second model.
    private static readonly string[] Extensions = [".pkl", ".pt", ".pth", ".safetensors", ".nada"];

    public IReadOnlyList<ModelEntry> Generators() =>
        [.. Registered(f => f is ModelFamily.StyleGAN2 or ModelFamily.StyleGAN2Ada or ModelFamily.StyleGAN3), .. List("generators")];

    public IReadOnlyList<ModelEntry> ClipModels() => [.. Registered(f => f == ModelFamily.Clip), .. List("clip")];

    private IEnumerable<ModelEntry> Registered(Func<ModelFamily, bool> family) =>
        store.List()
            .Where(s => s.IsPresent && family(s.Entry.Family))
            .Select(s => new ModelEntry(s.Entry.Id, s.Entry.DisplayName, s.Path, s.SizeOnDisk ?? 0));

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
