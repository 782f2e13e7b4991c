using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// NVIDIA stylegan2-ada-pytorch pickles (<c>{"G", "G_ema", "D", ...}</c> of <c>torch_utils.persistence</c>
/// records), mapped onto the rosinality layout with one table. Differences handled here: const [C,4,4] and
/// conv weights [O,I,k,k] gain a leading batch axis, noise_const [R,R] becomes [1,1,R,R], the scalar
/// noise_strength becomes [1], ToRGB bias [C] becomes [1,C,1,1], w_avg becomes latent_avg; conv_clamp and the
/// mapping's lr multiplier come from the pickled attributes. Up-sampling conv weights need no flip (both codes
/// run conv_transpose2d on the stored weight). The mapping normalises z the same way (2nd moment, eps 1e-8).
/// stylegan3 pickles are read by <see cref="NvidiaSg3Format"/>.
/// </summary>
public static class NvidiaAdaFormat
{
    /// <summary>Format name used in messages.</summary>
    public const string Name = "NVIDIA stylegan2-ada-pytorch pickle";

    /// <summary>True when the graph is an NVIDIA network pickle (StyleGAN2 or 3; <see cref="NvidiaSg3Format.Matches"/> tells them apart).</summary>
    public static bool Matches(object? graph) =>
        graph is Dictionary<string, object?> d && (d.ContainsKey("G_ema") || d.ContainsKey("G"));

    /// <summary>Builds the generator from <c>G_ema</c> (or <c>G</c>).</summary>
    public static StyleGan2Generator Load(string path, object? graph)
    {
        var top = (Dictionary<string, object?>)graph!;
        string key = top.GetValueOrDefault("G_ema") is not null ? "G_ema" : "G";
        var net = ModuleGraph.From(path, top[key], key);
        if (!net.Children.TryGetValue("synthesis", out var blocks) || !net.Children.ContainsKey("mapping"))
            throw new CheckpointException(path, $"{key} has no mapping and synthesis networks", "Is this a StyleGAN generator pickle?");
        if (blocks.Contains("input") || blocks.Any(b => b.Length > 1 && b[0] == 'L' && char.IsDigit(b[1])))
            throw new CheckpointException(path, "holds a StyleGAN3 generator, which NvidiaSg3Format reads",
                "Load it through GeneratorLoader");
        if (ToFloat(net.Attr("", "c_dim")) is float cdim && cdim != 0)
            throw new CheckpointException(path, $"is a conditional generator (c_dim = {cdim}), which is not supported");
        foreach (var b in blocks)
        {
            if (net.Attr("synthesis." + b, "architecture") is string arch && arch != "skip")
                throw new CheckpointException(path, $"synthesis.{b} uses the '{arch}' architecture; only 'skip' is supported");
        }

        var config = InferConfig(path, net);
        var g = new StyleGan2Generator(config);
        var target = g.state_dict();
        var ignored = CheckResampleFilters(path, net, config);
        TensorMappingFiller.Fill(path, Name, target, net.Tensors, Table(config), ignored);
        return g;
    }

    /// <summary>The mapping table from rosinality names to stylegan2-ada-pytorch names.</summary>
    public static IReadOnlyList<TensorMapping> Table(StyleGan2Config c)
    {
        var rows = new List<TensorMapping>();
        for (int i = 0; i < c.MappingLayers; i++)
        {
            rows.Add(new($"style.{i + 1}.weight", $"mapping.fc{i}.weight"));
            rows.Add(new($"style.{i + 1}.bias", $"mapping.fc{i}.bias"));
        }
        rows.Add(new("latent_avg", "mapping.w_avg"));
        rows.Add(new("input.input", "synthesis.b4.const", t => t.unsqueeze(0)));
        AddConv(rows, "conv1", "synthesis.b4.conv1");
        AddRgb(rows, "to_rgb1", "synthesis.b4.torgb");
        int k = 0;
        for (int res = 8; res <= c.ImgResolution; res *= 2, k++)
        {
            AddConv(rows, $"convs.{2 * k}", $"synthesis.b{res}.conv0");
            AddConv(rows, $"convs.{2 * k + 1}", $"synthesis.b{res}.conv1");
            AddRgb(rows, $"to_rgbs.{k}", $"synthesis.b{res}.torgb");
        }
        // Noise buffers: noise_0 at 4x4, then conv0/conv1 of each block.
        rows.Add(new("noises.noise_0", "synthesis.b4.conv1.noise_const", Noise));
        k = 0;
        for (int res = 8; res <= c.ImgResolution; res *= 2, k++)
        {
            rows.Add(new($"noises.noise_{2 * k + 1}", $"synthesis.b{res}.conv0.noise_const", Noise));
            rows.Add(new($"noises.noise_{2 * k + 2}", $"synthesis.b{res}.conv1.noise_const", Noise));
        }
        // The blur/upsample kernels are rebuilt from the (checked) resample filters.
        for (int i = 0; i < k; i++)
        {
            int res = 8 << i;
            rows.Add(new($"convs.{2 * i}.conv.blur.kernel", $"synthesis.b{res}.conv0.resample_filter", t => t * 4f));
            rows.Add(new($"to_rgbs.{i}.upsample.kernel", $"synthesis.b{res}.resample_filter", t => t * 4f));
        }
        return rows;
    }

    private static Tensor Noise(Tensor t) => t.reshape(1, 1, t.shape[0], t.shape[1]); // [R, R] -> [1, 1, R, R]

    private static void AddConv(List<TensorMapping> rows, string dst, string src)
    {
        rows.Add(new($"{dst}.conv.weight", $"{src}.weight", t => t.unsqueeze(0)));        // [O, I, 3, 3] -> [1, O, I, 3, 3]
        rows.Add(new($"{dst}.conv.modulation.weight", $"{src}.affine.weight"));
        rows.Add(new($"{dst}.conv.modulation.bias", $"{src}.affine.bias"));
        rows.Add(new($"{dst}.noise.weight", $"{src}.noise_strength", t => t.reshape(1)));
        rows.Add(new($"{dst}.activate.bias", $"{src}.bias"));
    }

    private static void AddRgb(List<TensorMapping> rows, string dst, string src)
    {
        rows.Add(new($"{dst}.conv.weight", $"{src}.weight", t => t.unsqueeze(0)));        // [C, I, 1, 1] -> [1, C, I, 1, 1]
        rows.Add(new($"{dst}.conv.modulation.weight", $"{src}.affine.weight"));
        rows.Add(new($"{dst}.conv.modulation.bias", $"{src}.affine.bias"));
        rows.Add(new($"{dst}.bias", $"{src}.bias", t => t.reshape(1, t.shape[0], 1, 1)));
    }

    /// <summary>Checks every resample_filter equals [1,3,3,1] setup; returns the ones not used by the table.</summary>
    private static List<string> CheckResampleFilters(string path, ModuleGraph net, StyleGan2Config c)
    {
        using var scope = NewDisposeScope();
        var expected = FirFilter.Setup(c.Taps);
        var ignored = new List<string>();
        foreach (var (name, t) in net.Tensors)
        {
            if (!name.EndsWith("resample_filter", StringComparison.Ordinal)) continue;
            if (!t.shape.SequenceEqual(expected.shape) || (t.to(ScalarType.Float32) - expected).abs().max().item<float>() > 1e-6f)
                throw new CheckpointException(path, $"{name} is not the [1, 3, 3, 1] filter StyleGAN2 uses");
            ignored.Add(name);
        }
        return ignored;
    }

    /// <summary>Reads the architecture from tensor shapes and pickled attributes.</summary>
    internal static StyleGan2Config InferConfig(string path, ModuleGraph net)
    {
        Tensor Need(string key) => net.Tensors.TryGetValue(key, out var t) ? t
            : throw new CheckpointException(path, $"has no tensor '{key}', which every {Name} generator has");
        int mappingLayers = 0;
        while (net.Tensors.ContainsKey($"mapping.fc{mappingLayers}.weight")) mappingLayers++;
        var fc0 = Need("mapping.fc0.weight");                                    // [hidden, ZDim]
        var last = Need($"mapping.fc{mappingLayers - 1}.weight");               // [WDim, hidden]
        var channels = new Dictionary<int, int> { [4] = (int)Need("synthesis.b4.const").shape[0] };
        int res = 8;
        for (; net.Tensors.ContainsKey($"synthesis.b{res}.conv1.weight"); res *= 2)
            channels[res] = (int)Need($"synthesis.b{res}.conv1.weight").shape[0];
        int resolution = res / 2;
        int imgChannels = (int)Need("synthesis.b4.torgb.weight").shape[0];
        float lrMul = ToFloat(net.Attr("mapping.fc0", "bias_gain")) ?? 0.01f;
        float? clamp = ToFloat(net.Attr("synthesis.b4.conv1", "conv_clamp"));
        var config = new StyleGan2Config(resolution, (int)fc0.shape[1], (int)last.shape[0], mappingLayers, channels,
            lrMul, imgChannels, clamp).Validate();
        if (ToFloat(net.Attr("", "num_ws")) is float numWs && (int)numWs != config.NumWs)
            throw new CheckpointException(path, $"declares num_ws = {numWs}, but a {resolution} px StyleGAN2 has {config.NumWs}");
        return config;
    }

    internal static float? ToFloat(object? v) => v switch
    {
        double d => (float)d,
        float f => f,
        long l => l,
        int i => i,
        Tensor t when t.numel() == 1 => t.to(ScalarType.Float32).item<float>(),
        _ => null,
    };
}
