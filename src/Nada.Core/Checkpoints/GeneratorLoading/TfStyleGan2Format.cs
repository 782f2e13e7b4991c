using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// NVIDIA's TensorFlow-era StyleGAN2 pickles: a tuple <c>(G, D, Gs)</c> of <c>dnnlib.tflib.network.Network</c>
/// states; <c>Gs</c> is used. Variables are flattened with their component names ("mapping/Dense0/weight",
/// "synthesis/4x4/Conv/weight", "dlatent_avg"). Layout changes, in the one table below: dense weights
/// [in, out] are transposed; conv weights HWIO [k, k, I, O] become [1, O, I, k, k]; the up-sampling convs
/// (Conv0_up) are also flipped spatially (TF applies them as a flipped transposed convolution);
/// modulation biases get +1 (TF adds it at run time); scalar noise strengths become [1]; ToRGB biases
/// become [1, C, 1, 1]. Runtime weight gains (1/sqrt(fan_in), lr multiplier) are the same as rosinality's.
/// </summary>
public static class TfStyleGan2Format
{
    /// <summary>Format name used in messages.</summary>
    public const string Name = "TensorFlow StyleGAN2 pickle";

    /// <summary>True for a (G, D, Gs) tuple of networks or a single generator network.</summary>
    public static bool Matches(object? graph) => FindGs(graph) is not null;

    private static PickledObject? FindGs(object? graph) => graph switch
    {
        object?[] { Length: 3 } t when t[2] is PickledObject p && IsNetwork(p) => p,
        List<object?> { Count: 3 } l when l[2] is PickledObject p && IsNetwork(p) => p,
        PickledObject p when IsNetwork(p) => p,
        _ => null,
    };

    private static bool IsNetwork(PickledObject p) =>
        p.ClassName == "Network" && p.State.ContainsKey("variables") && p.State.ContainsKey("components");

    /// <summary>Builds the generator from <c>Gs</c>.</summary>
    public static StyleGan2Generator Load(string path, object? graph)
    {
        var gs = FindGs(graph)!;
        var kwargs = gs.State.GetValueOrDefault("static_kwargs") as IReadOnlyDictionary<string, object?>
            ?? new Dictionary<string, object?>();
        if (kwargs.GetValueOrDefault("architecture") is string arch && arch != "skip")
            throw new CheckpointException(path, $"uses the '{arch}' architecture; only 'skip' is supported");
        if (NvidiaAdaFormat.ToFloat(kwargs.GetValueOrDefault("label_size")) is float ls && ls != 0)
            throw new CheckpointException(path, $"is a conditional generator (label_size = {ls}), which is not supported");

        var vars = new Dictionary<string, Tensor>();
        Collect(path, gs, "", vars, new GraphWalk(path, "the TF network Gs"), 0);
        var config = InferConfig(path, vars, kwargs);
        var g = new StyleGan2Generator(config);
        var ignored = vars.Keys.Where(k => k == "lod" || k.EndsWith("/lod", StringComparison.Ordinal)).ToList();
        // TF pickles do not store the FIR kernels: the generator keeps its own [1, 3, 3, 1] blur/upsample kernels.
        var target = g.state_dict().Where(kv => !kv.Key.EndsWith(".kernel", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        TensorMappingFiller.Fill(path, Name, target, vars, Table(config), ignored);
        return g;
    }

    /// <summary>Own variables plus components' variables, prefixed with the component name and '/'.</summary>
    private static void Collect(string path, PickledObject net, string prefix, Dictionary<string, Tensor> vars, GraphWalk walk, int depth)
    {
        walk.Enter(net, depth, prefix.Length == 0 ? "Gs" : prefix.TrimEnd('/'));
        if (net.State.GetValueOrDefault("variables") is System.Collections.IEnumerable list)
        {
            foreach (var item in list)
            {
                var (name, value) = item switch
                {
                    object?[] { Length: 2 } t => (t[0] as string, t[1]),
                    List<object?> { Count: 2 } l => (l[0] as string, l[1]),
                    _ => (null, null),
                };
                if (name is null || value is not Tensor tensor)
                    throw new CheckpointException(path, $"network '{prefix}' has a variable entry that is not (name, array)");
                vars[prefix + name] = tensor;
            }
        }
        if (net.State.GetValueOrDefault("components") is IReadOnlyDictionary<string, object?> comps)
        {
            foreach (var (name, comp) in comps)
            {
                if (comp is PickledObject p) Collect(path, p, prefix + name + "/", vars, walk, depth + 1);
            }
        }
        walk.Leave(net);
    }

    /// <summary>The mapping table from rosinality names to TF variable names.</summary>
    public static IReadOnlyList<TensorMapping> Table(StyleGan2Config c)
    {
        var rows = new List<TensorMapping>();
        for (int i = 0; i < c.MappingLayers; i++)
        {
            rows.Add(new($"style.{i + 1}.weight", $"mapping/Dense{i}/weight", t => t.t()));   // [in, out] -> [out, in]
            rows.Add(new($"style.{i + 1}.bias", $"mapping/Dense{i}/bias"));
        }
        rows.Add(new("latent_avg", "dlatent_avg"));
        rows.Add(new("input.input", "synthesis/4x4/Const/const"));
        AddConv(rows, "conv1", "synthesis/4x4/Conv", flip: false);
        AddRgb(rows, "to_rgb1", "synthesis/4x4/ToRGB");
        int k = 0;
        for (int res = 8; res <= c.ImgResolution; res *= 2, k++)
        {
            AddConv(rows, $"convs.{2 * k}", $"synthesis/{res}x{res}/Conv0_up", flip: true);
            AddConv(rows, $"convs.{2 * k + 1}", $"synthesis/{res}x{res}/Conv1", flip: false);
            AddRgb(rows, $"to_rgbs.{k}", $"synthesis/{res}x{res}/ToRGB");
        }
        for (int i = 0; i < c.NumConvLayers; i++) rows.Add(new($"noises.noise_{i}", $"synthesis/noise{i}"));
        return rows;
    }

    private static Tensor Hwio(Tensor t) => t.permute(3, 2, 0, 1).unsqueeze(0); // [k, k, I, O] -> [1, O, I, k, k]

    private static void AddConv(List<TensorMapping> rows, string dst, string src, bool flip)
    {
        rows.Add(new($"{dst}.conv.weight", $"{src}/weight", flip ? t => Hwio(t).flip(3, 4) : Hwio));
        rows.Add(new($"{dst}.conv.modulation.weight", $"{src}/mod_weight", t => t.t()));
        rows.Add(new($"{dst}.conv.modulation.bias", $"{src}/mod_bias", t => t + 1f));
        rows.Add(new($"{dst}.noise.weight", $"{src}/noise_strength", t => t.reshape(1)));
        rows.Add(new($"{dst}.activate.bias", $"{src}/bias"));
    }

    private static void AddRgb(List<TensorMapping> rows, string dst, string src)
    {
        rows.Add(new($"{dst}.conv.weight", $"{src}/weight", Hwio));
        rows.Add(new($"{dst}.conv.modulation.weight", $"{src}/mod_weight", t => t.t()));
        rows.Add(new($"{dst}.conv.modulation.bias", $"{src}/mod_bias", t => t + 1f));
        rows.Add(new($"{dst}.bias", $"{src}/bias", t => t.reshape(1, t.shape[0], 1, 1)));
    }

    private static StyleGan2Config InferConfig(string path, Dictionary<string, Tensor> vars, IReadOnlyDictionary<string, object?> kwargs)
    {
        Tensor Need(string key) => vars.TryGetValue(key, out var t) ? t
            : throw new CheckpointException(path, $"has no variable '{key}', which every {Name} generator has");
        int mappingLayers = 0;
        while (vars.ContainsKey($"mapping/Dense{mappingLayers}/weight")) mappingLayers++;
        var first = Need("mapping/Dense0/weight");                                // [ZDim, hidden]
        var last = Need($"mapping/Dense{mappingLayers - 1}/weight");              // [hidden, WDim]
        var channels = new Dictionary<int, int> { [4] = (int)Need("synthesis/4x4/Const/const").shape[1] };
        int res = 8;
        for (; vars.ContainsKey($"synthesis/{res}x{res}/Conv1/weight"); res *= 2)
            channels[res] = (int)Need($"synthesis/{res}x{res}/Conv1/weight").shape[3];
        int resolution = res / 2;
        if (NvidiaAdaFormat.ToFloat(kwargs.GetValueOrDefault("resolution")) is float kr && (int)kr != resolution)
            throw new CheckpointException(path, $"declares resolution {kr} but its variables describe {resolution} px");
        float lrMul = NvidiaAdaFormat.ToFloat(kwargs.GetValueOrDefault("mapping_lrmul")) ?? 0.01f;
        int imgChannels = (int)Need("synthesis/4x4/ToRGB/weight").shape[3];
        var config = new StyleGan2Config(resolution, (int)first.shape[0], (int)last.shape[1], mappingLayers, channels,
            lrMul, imgChannels).Validate();
        // The declared sizes, where present, must agree with the variables.
        foreach (var (key, actual) in new[] { ("latent_size", config.ZDim), ("dlatent_size", config.WDim),
                     ("mapping_layers", config.MappingLayers), ("num_channels", config.ImgChannels) })
        {
            if (NvidiaAdaFormat.ToFloat(kwargs.GetValueOrDefault(key)) is float declared && (int)declared != actual)
                throw new CheckpointException(path, $"declares {key} = {declared} but its variables give {actual}");
        }
        return config;
    }
}
