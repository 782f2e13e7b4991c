using System.Security.Cryptography;

namespace Nada.Core.Models;

/// <summary>SHA-256 of files and the <c>&lt;file&gt;.sha256</c> sidecar (sha256sum format) that records it.</summary>
public static class Sha256File
{
    /// <summary>Lower-case hex SHA-256 of a file's bytes.</summary>
    public static string Compute(string path, CancellationToken ct = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Path of the sidecar that records the hash of <paramref name="modelPath"/>.</summary>
    public static string SidecarPath(string modelPath) => modelPath + ".sha256";

    /// <summary>The hash recorded beside <paramref name="modelPath"/>, or null when there is no sidecar.</summary>
    public static string? ReadSidecar(string modelPath)
    {
        string sidecar = SidecarPath(modelPath);
        if (!File.Exists(sidecar)) return null;
        string text = File.ReadAllText(sidecar).Trim();
        string first = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        first = first.ToLowerInvariant();
        if (!ModelRegistry.Sha256Pattern().IsMatch(first))
            throw new ModelStoreException($"'{sidecar}' does not hold a SHA-256; delete it to record the hash again");
        return first;
    }

    /// <summary>Writes the sidecar in <c>sha256sum</c> format (<c>sha256sum -c</c> can check it).</summary>
    public static void WriteSidecar(string modelPath, string sha256)
    {
        string sidecar = SidecarPath(modelPath);
        string temp = sidecar + ".tmp";
        File.WriteAllText(temp, $"{sha256}  {Path.GetFileName(modelPath)}\n");
        File.Move(temp, sidecar, overwrite: true);
    }
}
