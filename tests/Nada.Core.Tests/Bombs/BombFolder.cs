using System.Collections.Concurrent;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// The bomb files of this test process: each written once, on first use, into one temporary folder that is
/// deleted when the process exits (several test classes read the same bombs, in-process and through the CLI).
/// </summary>
internal static class BombFolder
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> Files = new();
    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"nada-bombs-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });

    /// <summary>The path of bomb <paramref name="name"/> (a model or image bomb), written on first use.</summary>
    public static string Get(string name) => Files.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        var path = Path.Combine(Folder.Value, n + Extension(n));
        if (ModelBombs.Descriptions.ContainsKey(n)) ModelBombs.Write(n, path);
        else ImageBombs.Write(n, path);
        return path;
    })).Value;

    private static string Extension(string name) => name switch
    {
        _ when name.StartsWith("safetensors", StringComparison.Ordinal) => ".safetensors",
        _ when name.StartsWith("png", StringComparison.Ordinal) => ".png",
        _ when name.StartsWith("bmp", StringComparison.Ordinal) => ".bmp",
        _ when name.StartsWith("jpeg", StringComparison.Ordinal) => ".jpg",
        _ when name.StartsWith("webp", StringComparison.Ordinal) => ".webp",
        _ when name.StartsWith("pickle") || name.StartsWith("nvidia") || name.StartsWith("numpy") || name.StartsWith("tf") => ".pkl",
        _ => ".pt",
    };
}
