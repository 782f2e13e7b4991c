namespace Nada.Web.Engine;

/// <summary>A model file offered on the submit page.</summary>
/// <param name="Id">Path relative to its catalog folder; what forms and the API send.</param>
/// <param name="Name">Display name.</param>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="SizeBytes">File size.</param>
public sealed record ModelEntry(string Id, string Name, string Path, long SizeBytes);

/// <summary>The model files users may choose (the engine itself is reached through Nada.Core.Service's interfaces).</summary>
public interface IModelCatalog
{
    IReadOnlyList<ModelEntry> Generators();
    IReadOnlyList<ModelEntry> ClipModels();
}
