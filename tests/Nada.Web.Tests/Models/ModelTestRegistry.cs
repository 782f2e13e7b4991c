using System.Security.Cryptography;
using System.Text.Json;

namespace Nada.Web.Tests.Models;

/// <summary>Writes a registry override file whose entries point at a local test server.</summary>
internal static class ModelTestRegistry
{
    /// <summary>One test entry: family, served URL, published hash (or null).</summary>
    public sealed record Item(string Id, string Family, string FileName, string Url, string? Sha256, string Format = "tf-pickle");

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Random bytes, reproducible from the seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string Write(string dir, IEnumerable<Item> items)
    {
        var doc = new
        {
            version = 1,
            models = items.Select(i => new
            {
                id = i.Id,
                displayName = "Test " + i.Id,
                domain = "test bytes",
                resolution = 256,
                family = i.Family,
                format = i.Format,
                fileName = i.FileName,
                urls = new[] { i.Url },
                sha256 = i.Sha256,
                sizeBytes = (long?)null,
                license = "test licence note",
                sourcePage = "https://example.org/models",
            }),
        };
        string path = Path.Combine(dir, "registry.json");
        File.WriteAllText(path, JsonSerializer.Serialize(doc));
        return path;
    }
}
