using System.Text.Json;
using Nada.Core.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>
/// A compact domain on disk: one safetensors file holding a float32 [InChannels] tensor per modulated layer (named as
/// <see cref="Generators.StyleGenerator.ModulatedLayers"/>: <c>conv1.conv</c>, <c>convs.3.conv</c>, <c>synthesis.L5_84_512</c>,
/// ...) and two metadata entries: <c>format</c> = <see cref="FormatTag"/> and <c>compact_domain</c> = the
/// <see cref="CompactDomainInfo"/> as JSON (prompts, options, final losses, training CLIPs, and the identity of the
/// base generator). Written atomically. An FFHQ config-f 1024 generator's domain is about 24 KB.
/// </summary>
public static class CompactDomainFile
{
    /// <summary>Value of the <c>format</c> metadata entry.</summary>
    public const string FormatTag = "nada-compact-domain";

    /// <summary>Metadata key of the JSON record.</summary>
    public const string InfoKey = "compact_domain";

    /// <summary>What reading a compact domain may cost: far more than any real one needs (a few hundred KB at most).</summary>
    public static ReadLimits Limits { get; } = ReadLimits.Default with { MaxTensorBytes = 16L << 20, MaxTotalBytes = 64L << 20, MaxTensors = 10_000 };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Writes <paramref name="domain"/> to <paramref name="path"/> (offsets as float32); replaces the file atomically.</summary>
    public static void Save(string path, CompactDomain domain)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var tensors = domain.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu().contiguous());
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatTag,
            [InfoKey] = JsonSerializer.Serialize(domain.Info, Json),
        };
        SafeTensorsFile.Save(path, tensors, metadata);
    }

    /// <summary>Reads a compact domain (named by its file name in messages).</summary>
    /// <exception cref="CheckpointException">Not a compact domain file, malformed, or with non-finite offsets.</exception>
    public static CompactDomain Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Load(path, Limits);
        try
        {
            if (metadata.GetValueOrDefault("format") != FormatTag)
                throw new CheckpointException(path, metadata.TryGetValue("format", out var tag)
                        ? $"is not a compact domain (its format is '{tag}')" : "is not a compact domain (no format tag)",
                    "A compact domain is written by a compact adaptation run (domain kind compact); a generator file goes to --generator");
            if (!metadata.TryGetValue(InfoKey, out var json))
                throw new CheckpointException(path, "has no compact_domain metadata", "The file is incomplete; train the domain again");
            CompactDomainInfo info;
            try
            {
                info = JsonSerializer.Deserialize<CompactDomainInfo>(json, Json) ?? throw new JsonException("empty record");
            }
            catch (JsonException e)
            {
                throw new CheckpointException(path, $"has an unreadable compact_domain record ({e.Message})", "The file is damaged; train the domain again", e);
            }
            if (tensors.Count == 0)
                throw new CheckpointException(path, "holds no offsets", "The file is incomplete; train the domain again");
            foreach (var (name, t) in tensors)
            {
                if (t.dtype != ScalarType.Float32 || t.dim() != 1)
                    throw new CheckpointException(path, $"offsets '{name}' are {t.dtype} [{string.Join(", ", t.shape)}], not float32 [channels]", "The file is damaged; train the domain again");
                if (!isfinite(t).all().item<bool>())
                    throw new CheckpointException(path, $"offsets '{name}' are not all finite", "The file is damaged; train the domain again");
            }
            return new CompactDomain(info, tensors, Path.GetFileName(path));
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The metadata record alone (no tensor is read).</summary>
    /// <exception cref="CheckpointException">Not a compact domain file.</exception>
    public static CompactDomainInfo ReadInfo(string path)
    {
        var metadata = SafeTensorsFile.ReadMetadata(path, Limits);
        if (metadata?.GetValueOrDefault("format") != FormatTag || !metadata.TryGetValue(InfoKey, out var json))
            throw new CheckpointException(path, "is not a compact domain", "A compact domain is written by a compact adaptation run");
        try
        {
            return JsonSerializer.Deserialize<CompactDomainInfo>(json, Json) ?? throw new JsonException("empty record");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"has an unreadable compact_domain record ({e.Message})", "The file is damaged; train the domain again", e);
        }
    }

    /// <summary>True when <paramref name="path"/> is a safetensors file tagged as a compact domain (only its header is read).</summary>
    public static bool IsCompactDomain(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            return SafeTensorsFile.ReadMetadata(path, Limits)?.GetValueOrDefault("format") == FormatTag;
        }
        catch (CheckpointException)
        {
            return false;
        }
    }
}
