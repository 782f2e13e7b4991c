using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// rosinality stylegan2-pytorch checkpoints (what StyleGAN-NADA loads and saves):
/// <c>{"g_ema": state_dict, "latent_avg": [WDim], ...}</c>, a training checkpoint with only <c>"g"</c>, or a bare
/// state dict. Our generator uses the same names, so the mapping table is the identity.
/// </summary>
public static class RosinalityFormat
{
    /// <summary>Format name used in messages.</summary>
    public const string Name = "rosinality stylegan2-pytorch checkpoint";

    /// <summary>Samples averaged for the truncation centre when a file has no <c>latent_avg</c> (as rosinality's <c>mean_latent(4096)</c>).</summary>
    public const int MeanLatentSamples = 4096;

    /// <summary>True when the object graph looks like a rosinality checkpoint.</summary>
    public static bool Matches(object? graph) =>
        graph is Dictionary<string, object?> d &&
        (d.ContainsKey("g_ema") || d.ContainsKey("g") || d.ContainsKey("style.1.weight"));

    /// <summary>Builds the generator described by the checkpoint graph.</summary>
    public static StyleGan2Generator Load(string path, object? graph)
    {
        var top = (Dictionary<string, object?>)graph!;
        var stateObj = top.TryGetValue("g_ema", out var ge) ? ge : top.TryGetValue("g", out var g0) ? g0 : top;
        var stateDict = Tensors(path, stateObj, ReferenceEquals(stateObj, top) ? "the file" : "g_ema");
        var config = InferConfig(path, stateDict);
        var g = new StyleGan2Generator(config);
        var target = g.state_dict().Where(kv => kv.Key != "latent_avg").ToDictionary(kv => kv.Key, kv => kv.Value);
        TensorMappingFiller.Fill(path, Name, target, stateDict, IdentityTable(target.Keys));

        Tensor? latentAvg = ReferenceEquals(stateObj, top) ? null : top.GetValueOrDefault("latent_avg") as Tensor;
        using (no_grad())
        {
            if (latentAvg is not null)
            {
                if (latentAvg.numel() != config.WDim)
                    throw new CheckpointException(path, $"latent_avg has shape {TensorMappingFiller.Shape(latentAvg)}, expected [{config.WDim}]");
                g.LatentAvg.copy_(latentAvg.reshape(config.WDim).to(ScalarType.Float32));
            }
            else
            {
                g.LatentAvg.copy_(MeanLatent(g));
            }
        }
        return g;
    }

    /// <summary>
    /// Writes a checkpoint the original StyleGAN-NADA / rosinality code loads:
    /// a torch.save zip of <c>{"g_ema": state_dict, "latent_avg": [WDim]}</c> (float32, rosinality names).
    /// </summary>
    public static void Save(StyleGan2Generator g, string path)
    {
        using var scope = NewDisposeScope();
        var stateDict = new Dictionary<string, Tensor>();
        foreach (var (name, t) in g.state_dict())
            if (name != "latent_avg") stateDict[name] = t.detach().to(ScalarType.Float32).cpu().contiguous();
        var latentAvg = g.LatentAvg.detach().to(ScalarType.Float32).cpu().contiguous();
        TorchZipWriter.Save(path, [("g_ema", stateDict), ("latent_avg", latentAvg)]);
    }

    /// <summary>The mean of w over <see cref="MeanLatentSamples"/> z drawn with a fixed seed (deterministic).</summary>
    public static Tensor MeanLatent(StyleGan2Generator g)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new TorchSharp.torch.Generator(0);
        var z = randn(new long[] { MeanLatentSamples, g.Config.ZDim }, generator: gen); // [4096, ZDim]
        return g.Mapping(z).mean([0]).MoveToOuterDisposeScope();                      // [WDim]
    }

    /// <summary>The identity table: every generator tensor from the same name.</summary>
    public static IReadOnlyList<TensorMapping> IdentityTable(IEnumerable<string> names) =>
        names.Select(n => new TensorMapping(n, n)).ToList();

    /// <summary>Reads the architecture from the tensor shapes of a rosinality state dict.</summary>
    public static StyleGan2Config InferConfig(string path, IReadOnlyDictionary<string, Tensor> sd, float lrMultiplier = 0.01f)
    {
        Tensor Need(string key) => sd.TryGetValue(key, out var t) ? t
            : throw new CheckpointException(path, $"has no tensor '{key}', which every {Name} has", "Is this a StyleGAN2 generator?");

        int mappingLayers = 0;
        while (sd.ContainsKey($"style.{mappingLayers + 1}.weight")) mappingLayers++;
        var first = Need("style.1.weight");               // [WDim, ZDim]
        int rgbs = 0;
        while (sd.ContainsKey($"to_rgbs.{rgbs}.conv.weight")) rgbs++;
        var channels = new Dictionary<int, int> { [4] = (int)Need("input.input").shape[1] };
        for (int k = 0; k < rgbs; k++) channels[8 << k] = (int)Need($"convs.{2 * k}.conv.weight").shape[1];
        int imgChannels = (int)Need("to_rgb1.conv.weight").shape[1];
        if (rgbs == 0) throw new CheckpointException(path, "has no up-sampling blocks (to_rgbs.0.conv.weight)");
        return new StyleGan2Config(4 << rgbs, (int)first.shape[1], (int)first.shape[0], mappingLayers, channels,
            lrMultiplier, imgChannels).Validate();
    }

    /// <summary>A name -> tensor dictionary from a graph node, with a clear error for anything else.</summary>
    internal static Dictionary<string, Tensor> Tensors(string path, object? node, string what)
    {
        if (node is not Dictionary<string, object?> d)
            throw new CheckpointException(path, $"{what} is not a state dict (found {node?.GetType().Name ?? "None"})");
        var result = new Dictionary<string, Tensor>();
        foreach (var (k, v) in d)
        {
            if (v is Tensor t) result[k] = t;
            else throw new CheckpointException(path, $"{what}['{k}'] is not a tensor (found {v?.GetType().Name ?? "None"})");
        }
        return result;
    }
}
