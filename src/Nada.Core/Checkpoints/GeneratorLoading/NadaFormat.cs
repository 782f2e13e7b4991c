using System.Text;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// Our generator format: <c>NAME.safetensors</c> holding every tensor of the generator's state dict under its
/// rosinality name (plus <c>latent_avg</c>), float32, with the config JSON also in the safetensors metadata
/// (<c>"format": "nada-stylegan2"</c>, <c>"config": {...}</c>), and a sibling <c>NAME.json</c> with the same
/// config for people and tools. The safetensors file alone rebuilds the network.
/// </summary>
public static class NadaFormat
{
    /// <summary>Value of the <c>format</c> metadata entry.</summary>
    public const string FormatTag = "nada-stylegan2";

    /// <summary>Format name used in messages.</summary>
    public const string Name = "NadaWeb generator (safetensors + JSON)";

    /// <summary>
    /// The two files for a path: "x", "x.safetensors" and "x.json" all give ("x.safetensors", "x.json").
    /// </summary>
    public static (string Weights, string Config) FilesFor(string path)
    {
        string stem = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? path[..^".safetensors".Length]
            : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path[..^".json".Length]
            : path;
        return (stem + ".safetensors", stem + ".json");
    }

    /// <summary>Writes the generator; returns the weights file written.</summary>
    public static string Save(StyleGan2Generator g, string path)
    {
        var (weights, configFile) = FilesFor(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(weights));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in g.state_dict())
            tensors[name] = t.detach().to(ScalarType.Float32).cpu().contiguous();
        var json = g.Config.ToJson();
        var metadata = new Dictionary<string, string> { ["format"] = FormatTag, ["config"] = json };
        SafeTensorsFile.Save(weights, tensors, metadata);
        File.WriteAllText(configFile, json + "\n", new UTF8Encoding(false));
        return weights;
    }

    /// <summary>True when the file starts like a safetensors file (8-byte header length, then '{').</summary>
    public static bool LooksLikeSafeTensors(string path)
    {
        using var fs = File.OpenRead(path);
        if (fs.Length < 10) return false;
        Span<byte> head = stackalloc byte[9];
        fs.ReadExactly(head);
        ulong n = BitConverter.ToUInt64(head[..8]);
        return head[8] == (byte)'{' && n > 1 && n <= (ulong)(fs.Length - 8);
    }

    /// <summary>Loads a generator written by <see cref="Save"/> (or any safetensors in rosinality names).</summary>
    public static StyleGan2Generator Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        try
        {
            StyleGan2Config config;
            var sibling = FilesFor(path).Config;
            if (metadata.TryGetValue("config", out var json)) config = ParseConfig(path, json);
            else if (File.Exists(sibling)) config = ParseConfig(sibling, File.ReadAllText(sibling));
            else config = RosinalityFormat.InferConfig(path, tensors);

            var g = new StyleGan2Generator(config);
            var target = g.state_dict();
            if (!tensors.ContainsKey("latent_avg"))
                target = target.Where(kv => kv.Key != "latent_avg").ToDictionary(kv => kv.Key, kv => kv.Value);
            TensorMappingFiller.Fill(path, Name, target, tensors, RosinalityFormat.IdentityTable(target.Keys));
            if (!tensors.ContainsKey("latent_avg"))
                using (no_grad()) g.LatentAvg.copy_(RosinalityFormat.MeanLatent(g));
            return g;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static StyleGan2Config ParseConfig(string path, string json)
    {
        try
        {
            return StyleGan2Config.FromJson(json);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            throw new CheckpointException(path, $"has an invalid generator config: {e.Message}", inner: e);
        }
    }
}
