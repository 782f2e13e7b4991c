using System.IO.Compression;
using System.Text.Json;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Where the parity vectors live and scratch files for checkpoint tests.</summary>
internal static class CheckpointTestFiles
{
    /// <summary>NADA_PARITY_DIR, or ../shared/parity relative to the repository root.</summary>
    public static string ParityDir => ParityFiles.Dir;

    public static string Parity(params string[] parts) => Path.Combine([ParityDir, .. parts]);

    public static JsonElement Config(params string[] file) =>
        JsonDocument.Parse(File.ReadAllText(Parity(file.Length == 0 ? ["config.json"] : file))).RootElement;

    /// <summary>A fresh scratch folder, deleted by <see cref="IDisposable.Dispose"/>.</summary>
    public sealed class Scratch : IDisposable
    {
        public Scratch()
        {
            Dir = Path.Combine(Path.GetTempPath(), "nada-ckpt-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Dir);
        }

        public string Dir { get; }

        public string File(string name) => Path.Combine(Dir, name);

        public string Write(string name, byte[] bytes)
        {
            var path = File(name);
            System.IO.File.WriteAllBytes(path, bytes);
            return path;
        }

        public void Dispose()
        {
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A torch-style zip archive: root/data.pkl, root/data/&lt;key&gt; storages, root/version.</summary>
    public static byte[] TorchZip(byte[] dataPkl, IReadOnlyDictionary<string, byte[]>? storages = null, string root = "archive")
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] content)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var stream = entry.Open();
                stream.Write(content);
            }
            Add($"{root}/data.pkl", dataPkl);
            foreach (var (key, bytes) in storages ?? new Dictionary<string, byte[]>())
            {
                Add($"{root}/data/{key}", bytes);
            }
            Add($"{root}/version", "3\n"u8.ToArray());
        }
        return memory.ToArray();
    }
}
