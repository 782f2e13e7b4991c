using System.Reflection;

namespace Nada.Core.Clip;

/// <summary>Opens the CLIP data files shipped inside Nada.Core (see Data/CLIP-LICENSE.txt).</summary>
internal static class ClipData
{
    /// <summary>Opens an embedded data file by its file name, e.g. "prompt_templates.json".</summary>
    public static Stream Open(string fileName)
    {
        var name = "Nada.Core.Data." + fileName;
        return typeof(ClipData).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from Nada.Core; the build is broken.");
    }
}
