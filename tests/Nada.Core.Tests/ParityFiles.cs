using System.Text.Json;

namespace Nada.Core.Tests;

/// <summary>
/// The parity vectors: the folder named by NADA_PARITY_DIR, else ../shared/parity beside the repository root.
/// Every parity test finds its files here; nothing about the default set is assumed.
/// </summary>
internal static class ParityFiles
{
    /// <summary>The parity folder.</summary>
    public static string Dir
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("NADA_PARITY_DIR");
            if (!string.IsNullOrEmpty(fromEnv))
                return Path.GetFullPath(fromEnv);
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "NadaWeb.sln")))
                dir = dir.Parent;
            if (dir is null)
                throw new InvalidOperationException("Cannot find the repository root (NadaWeb.sln); set NADA_PARITY_DIR.");
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "parity"));
        }
    }

    /// <summary>A path inside the parity folder.</summary>
    public static string File(params string[] parts) => Path.Combine([Dir, .. parts]);

    /// <summary>A JSON file of the parity folder (config.json by default).</summary>
    public static JsonElement Json(params string[] file)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File(file.Length == 0 ? ["config.json"] : file)));
        return doc.RootElement.Clone();
    }
}
