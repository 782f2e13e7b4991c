using System.Text;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Generators.StyleGan3;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// Our generator format: <c>NAME.safetensors</c> holding every tensor of the generator's state dict, float32, with
/// the config JSON also in the safetensors metadata (<c>"format"</c>: <c>"nada-stylegan2"</c> or
/// <c>"nada-stylegan3"</c>, <c>"config": {...}</c>), and a sibling <c>NAME.json</c> with the same config for people
/// and tools. StyleGAN2 tensors carry rosinality names (plus <c>latent_avg</c>); StyleGAN3 tensors carry NVIDIA's
/// names, resampling filters, <c>magnitude_ema</c> and the input transform included. The safetensors file alone
/// rebuilds the network.
/// </summary>
public static class NadaFormat
{
    /// <summary>Value of the <c>format</c> metadata entry for StyleGAN2.</summary>
    public const string FormatTag = "nada-stylegan2";

    /// <summary>Value of the <c>format</c> metadata entry for StyleGAN3.</summary>
    public const string StyleGan3FormatTag = "nada-stylegan3";

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

    /// <summary>Writes the generator (StyleGAN2 or StyleGAN3); returns the weights file written.</summary>
    public static string Save(StyleGenerator g, string path)
    {
        string tag = g.Config.Family switch
        {
            GeneratorFamily.StyleGan2 => FormatTag,
            GeneratorFamily.StyleGan3 => StyleGan3FormatTag,
            var f => throw new NotSupportedException($"Saving {f} generators is not supported."),
        };
        var (weights, configFile) = FilesFor(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(weights));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in g.state_dict())
            tensors[name] = t.detach().to(ScalarType.Float32).cpu().contiguous();
        var json = g.Config.ToJson();
        var metadata = new Dictionary<string, string> { ["format"] = tag, ["config"] = json };
        SafeTensorsFile.Save(weights, tensors, metadata);
        Nada.Core.Runs.RunLayout.WriteAtomic(configFile, json + "\n");   // another box may read it at once (shared folder)
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

    /// <summary>
    /// Loads a generator written by <see cref="Save"/> (or any safetensors in rosinality names). The family comes from
    /// the <c>format</c> metadata entry; without one, a StyleGAN3 state dict is recognised by its tensor names.
    /// </summary>
    public static StyleGenerator Load(string path)
    {
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        try
        {
            var tag = metadata.GetValueOrDefault("format");
            bool sg3 = tag switch
            {
                StyleGan3FormatTag => true,
                FormatTag => false,
                null => tensors.ContainsKey("synthesis.input.freqs"),
                Adaptation.Compact.CompactDomainFile.FormatTag => throw new CheckpointException(path, "is a compact domain, not a generator",
                    "Render it with the generator it was trained on: --generator BASE --domain FILE"),
                _ => throw new CheckpointException(path, $"has the format tag '{tag}', which this version does not read",
                    $"Expected {FormatTag} or {StyleGan3FormatTag}; the file may come from a newer NadaWeb"),
            };
            if (sg3) return LoadStyleGan3(path, tensors, metadata);
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

    private static StyleGan3Generator LoadStyleGan3(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        var sibling = FilesFor(path).Config;
        var (configPath, json) = metadata.TryGetValue("config", out var inner) ? (path, inner)
            : File.Exists(sibling) ? (sibling, File.ReadAllText(sibling))
            : throw new CheckpointException(path, "is a StyleGAN3 file without its config (no 'config' metadata, no sibling .json)",
                "Keep the .json written beside it, or convert the original NVIDIA pickle again");
        StyleGan3Config config;
        try
        {
            config = StyleGan3Config.FromJson(json);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            throw new CheckpointException(configPath, $"has an invalid StyleGAN3 config: {e.Message}", inner: e);
        }
        var g = new StyleGan3Generator(config);
        try
        {
            var target = g.state_dict();
            TensorMappingFiller.Fill(path, Name, target, tensors, target.Keys.Select(k => new TensorMapping(k, k)).ToList());
        }
        catch
        {
            g.Dispose();
            throw;
        }
        return g;
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
