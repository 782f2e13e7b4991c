using System.Globalization;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// NVIDIA stylegan3 pickles (<c>{"G", "G_ema", "D", ...}</c> of <c>torch_utils.persistence</c> records, configs T
/// and R), read as data. The architecture comes from the pickled constructor arguments of <c>G_ema</c> (what
/// NVIDIA's own persistence rebuilds the network from), with NVIDIA's defaults for absent ones; every layer's pickled
/// attributes (sizes, sampling rates, cutoffs, half-widths, channels, factors, taps, padding) are then checked
/// against what those arguments derive. Our state-dict names are NVIDIA's, so the table maps every name to itself;
/// it lists exactly the tensors the architecture has (a layer's <c>up_filter</c> / <c>down_filter</c> only where its
/// factor exceeds 1), so a missing filter buffer, a mis-shaped tensor or an extra one is reported by name.
/// </summary>
public static class NvidiaSg3Format
{
    /// <summary>Format name used in messages.</summary>
    public const string Name = "NVIDIA stylegan3 pickle";

    /// <summary>Constructor arguments that do not change the network's function here (fp16 layers run in fp32).</summary>
    private static readonly HashSet<string> IgnoredArguments = ["num_fp16_res", "w_avg_beta", "freeze_layers", "freeze_embed"];

    /// <summary>True when the graph is an NVIDIA network pickle whose generator has a StyleGAN3 synthesis network.</summary>
    public static bool Matches(object? graph)
    {
        if (!NvidiaAdaFormat.Matches(graph)) return false;
        var top = (Dictionary<string, object?>)graph!;
        var g = top.GetValueOrDefault("G_ema") ?? top.GetValueOrDefault("G");
        var synthesis = Child(g, "synthesis");
        return Child(synthesis, "input") is not null
            || (Modules(synthesis)?.Keys.Any(k => k.Length > 1 && k[0] == 'L' && char.IsDigit(k[1])) ?? false);
    }

    /// <summary>Builds the generator from <c>G_ema</c> (or <c>G</c>).</summary>
    public static StyleGan3Generator Load(string path, object? graph)
    {
        var top = (Dictionary<string, object?>)graph!;
        string key = top.GetValueOrDefault("G_ema") is not null ? "G_ema" : "G";
        var net = ModuleGraph.From(path, top[key], key);
        if (!net.Children.ContainsKey("synthesis") || !net.Children.ContainsKey("mapping"))
            throw new CheckpointException(path, $"{key} has no mapping and synthesis networks", "Is this a StyleGAN generator pickle?");
        var config = InferConfig(path, net, key);
        CheckLayerAttributes(path, net, config, key);
        var g = new StyleGan3Generator(config);
        TensorMappingFiller.Fill(path, Name, g.state_dict(), net.Tensors, Table(config));
        return g;
    }

    /// <summary>The mapping table (our name = NVIDIA's name) for <paramref name="c"/>.</summary>
    public static IReadOnlyList<TensorMapping> Table(StyleGan3Config c)
    {
        var rows = new List<TensorMapping>();
        void Same(string name) => rows.Add(new(name, name));
        for (int i = 0; i < c.MappingLayers; i++)
        {
            Same($"mapping.fc{i}.weight");
            Same($"mapping.fc{i}.bias");
        }
        Same("mapping.w_avg");
        foreach (var t in new[] { "weight", "affine.weight", "affine.bias", "transform", "freqs", "phases" })
            Same($"synthesis.input.{t}");
        foreach (var layer in c.Layers)
        {
            string p = $"synthesis.{layer.Name}.";
            foreach (var t in new[] { "affine.weight", "affine.bias", "weight", "bias", "magnitude_ema" }) Same(p + t);
            if (layer.UpTaps > 1) Same(p + "up_filter");
            if (layer.DownTaps > 1) Same(p + "down_filter");
        }
        return rows;
    }

    /// <summary>The architecture from <c>G_ema</c>'s pickled constructor arguments (NVIDIA's defaults for absent ones).</summary>
    internal static StyleGan3Config InferConfig(string path, ModuleGraph net, string key)
    {
        if (net.Attr("", "_init_kwargs") is not IReadOnlyDictionary<string, object?> kwargs)
            throw new CheckpointException(path, $"{key} carries no constructor arguments (_init_kwargs)",
                "Only pickles written by NVIDIA's stylegan3 code (or compatible) can be read");
        var mappingKwargs = kwargs.GetValueOrDefault("mapping_kwargs") as IReadOnlyDictionary<string, object?>
            ?? new Dictionary<string, object?>();
        var known = new HashSet<string>
        {
            "z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "channel_base", "channel_max",
            "num_layers", "num_critical", "first_cutoff", "first_stopband", "last_stopband_rel", "margin_size",
            "output_scale", "conv_kernel", "filter_size", "lrelu_upsampling", "use_radial_filters", "conv_clamp",
            "magnitude_ema_beta",
        };
        foreach (var k in kwargs.Keys.Concat(mappingKwargs.Keys.Where(k => k != "num_layers" && k != "lr_multiplier")))
        {
            if (!known.Contains(k) && !IgnoredArguments.Contains(k))
                throw new CheckpointException(path, $"{key} has the constructor argument '{k}', which this reader does not know",
                    "It may come from a modified StyleGAN3; convert it with NVIDIA's code to a standard pickle");
        }

        double Num(IReadOnlyDictionary<string, object?> d, string name, double fallback)
        {
            if (!d.TryGetValue(name, out var v)) return fallback;
            return ToDouble(v)
                ?? throw new CheckpointException(path, $"{key} argument '{name}' is not a number (found {v?.GetType().Name ?? "None"})");
        }
        double Required(string name) => kwargs.ContainsKey(name) ? Num(kwargs, name, 0)
            : ToDouble(net.Attr("", name))
              ?? throw new CheckpointException(path, $"{key} does not say its {name}", "The pickle is incomplete");
        int Int(double v, string name) => v == Math.Floor(v) && Math.Abs(v) < int.MaxValue ? (int)v
            : throw new CheckpointException(path, $"{key} argument '{name}' = {v} is not an integer");

        if (Num(kwargs, "c_dim", 0) != 0)
            throw new CheckpointException(path, $"is a conditional generator (c_dim = {Num(kwargs, "c_dim", 0)}), which is not supported");
        bool radial = kwargs.GetValueOrDefault("use_radial_filters") switch
        {
            null => false,
            bool b => b,
            var v => throw new CheckpointException(path, $"{key} argument 'use_radial_filters' is not a bool (found {v.GetType().Name})"),
        };
        float? clamp = kwargs.TryGetValue("conv_clamp", out var cc) && cc is null ? null : (float)Num(kwargs, "conv_clamp", 256);
        var defaults = new StyleGan3Config(1, 1, 1);
        StyleGan3Config config;
        try
        {
            config = new StyleGan3Config(
                ImgResolution: Int(Required("img_resolution"), "img_resolution"),
                ZDim: Int(Required("z_dim"), "z_dim"),
                WDim: Int(Required("w_dim"), "w_dim"),
                MappingLayers: Int(Num(mappingKwargs, "num_layers", defaults.MappingLayers), "mapping_kwargs.num_layers"),
                LrMultiplier: (float)Num(mappingKwargs, "lr_multiplier", defaults.LrMultiplier),
                ImgChannels: Int(Required("img_channels"), "img_channels"),
                ChannelBase: Num(kwargs, "channel_base", defaults.ChannelBase),
                ChannelMax: Num(kwargs, "channel_max", defaults.ChannelMax),
                NumLayers: Int(Num(kwargs, "num_layers", defaults.NumLayers), "num_layers"),
                NumCritical: Int(Num(kwargs, "num_critical", defaults.NumCritical), "num_critical"),
                FirstCutoff: Num(kwargs, "first_cutoff", defaults.FirstCutoff),
                FirstStopband: Num(kwargs, "first_stopband", defaults.FirstStopband),
                LastStopbandRel: Num(kwargs, "last_stopband_rel", defaults.LastStopbandRel),
                MarginSize: Int(Num(kwargs, "margin_size", defaults.MarginSize), "margin_size"),
                OutputScale: (float)Num(kwargs, "output_scale", defaults.OutputScale),
                ConvKernel: Int(Num(kwargs, "conv_kernel", defaults.ConvKernel), "conv_kernel"),
                FilterSize: Int(Num(kwargs, "filter_size", defaults.FilterSize), "filter_size"),
                LreluUpsampling: Int(Num(kwargs, "lrelu_upsampling", defaults.LreluUpsampling), "lrelu_upsampling"),
                UseRadialFilters: radial,
                ConvClamp: clamp,
                MagnitudeEmaBeta: Num(kwargs, "magnitude_ema_beta", defaults.MagnitudeEmaBeta)).Validate();
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, $"{key}'s constructor arguments describe no valid StyleGAN3: {e.Message}", inner: e);
        }
        return config;
    }

    /// <summary>
    /// Checks the pickled attributes of the synthesis network, its input and every layer against what the
    /// constructor arguments derive; the first disagreement is reported with the attribute's full name.
    /// </summary>
    private static void CheckLayerAttributes(string path, ModuleGraph net, StyleGan3Config c, string key)
    {
        void Expect(string module, string attr, double expected)
        {
            var value = net.Attr(module, attr);
            if (value is null) return;                                     // absent attributes are not required
            if (value is Tensor t)
            {
                // numpy size arrays ([width, height]); both must agree.
                var values = t.to(ScalarType.Float64).flatten().data<double>().ToArray();
                foreach (var v in values) Compare(module, attr, v, expected);
                return;
            }
            if (value is bool b)
            {
                Compare(module, attr, b ? 1 : 0, expected);
                return;
            }
            var d = ToDouble(value);
            if (d is null) return;
            Compare(module, attr, d.Value, expected);
        }
        void Compare(string module, string attr, double actual, double expected)
        {
            if (Math.Abs(actual - expected) > 1e-9 * Math.Max(1, Math.Abs(expected)))
                throw new CheckpointException(path,
                    $"{key}.{module}.{attr} is {actual.ToString(CultureInfo.InvariantCulture)} but its constructor arguments give {expected.ToString(CultureInfo.InvariantCulture)}",
                    "The pickle's network does not match a standard StyleGAN3; it cannot be loaded safely");
        }

        var names = c.Layers.Select(l => l.Name).ToList();
        var children = net.Children["synthesis"];
        var expectedChildren = names.Prepend("input").ToList();
        if (!children.SequenceEqual(expectedChildren))
            throw new CheckpointException(path,
                $"{key}.synthesis has the layers [{string.Join(", ", children)}] but its constructor arguments give [{string.Join(", ", expectedChildren)}]",
                "The pickle's network does not match a standard StyleGAN3; it cannot be loaded safely");
        Expect("synthesis", "num_ws", c.NumWs);
        Expect("synthesis", "num_layers", c.NumLayers);
        Expect("synthesis", "num_critical", c.NumCritical);
        Expect("synthesis", "margin_size", c.MarginSize);
        Expect("synthesis", "output_scale", c.OutputScale);
        Expect("", "num_ws", c.NumWs);
        Expect("mapping", "num_layers", c.MappingLayers);
        Expect("mapping.fc0", "bias_gain", c.LrMultiplier);

        var first = c.Layers[0];
        Expect("synthesis.input", "channels", first.InChannels);
        Expect("synthesis.input", "size", first.InSize);
        Expect("synthesis.input", "sampling_rate", first.InSamplingRate);
        Expect("synthesis.input", "bandwidth", first.InCutoff);
        foreach (var l in c.Layers)
        {
            string m = "synthesis." + l.Name;
            Expect(m, "is_torgb", l.IsToRgb ? 1 : 0);
            Expect(m, "is_critically_sampled", l.IsCriticallySampled ? 1 : 0);
            Expect(m, "in_channels", l.InChannels);
            Expect(m, "out_channels", l.OutChannels);
            Expect(m, "in_size", l.InSize);
            Expect(m, "out_size", l.OutSize);
            Expect(m, "in_sampling_rate", l.InSamplingRate);
            Expect(m, "out_sampling_rate", l.OutSamplingRate);
            Expect(m, "tmp_sampling_rate", l.TmpSamplingRate);
            Expect(m, "in_cutoff", l.InCutoff);
            Expect(m, "out_cutoff", l.OutCutoff);
            Expect(m, "in_half_width", l.InHalfWidth);
            Expect(m, "out_half_width", l.OutHalfWidth);
            Expect(m, "conv_kernel", l.ConvKernel);
            Expect(m, "up_factor", l.UpFactor);
            Expect(m, "up_taps", l.UpTaps);
            Expect(m, "down_factor", l.DownFactor);
            Expect(m, "down_taps", l.DownTaps);
            Expect(m, "down_radial", l.DownRadial ? 1 : 0);
            if (c.ConvClamp is float clamp) Expect(m, "conv_clamp", clamp);
            if (net.Attr(m, "padding") is List<object?> pad && pad.Count == 4)
            {
                var p = l.Padding;
                int[] ours = [p.X0, p.X1, p.Y0, p.Y1];
                for (int i = 0; i < 4; i++)
                    if (ToDouble(pad[i]) is double v) Compare(m, $"padding[{i}]", v, ours[i]);
            }
        }
    }

    private static IReadOnlyDictionary<string, object?>? Modules(object? module)
    {
        var state = module is PickledObject p
            ? p.State.ContainsKey("_modules") ? p.State : p.State.GetValueOrDefault("state") as IReadOnlyDictionary<string, object?>
            : null;
        return state?.GetValueOrDefault("_modules") as IReadOnlyDictionary<string, object?>;
    }

    /// <summary>A pickled number (int, float, numpy scalar or one-element tensor) in full precision, or null.</summary>
    private static double? ToDouble(object? v) => v switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        Tensor t when t.numel() == 1 => t.to(ScalarType.Float64).item<double>(),
        _ => null,
    };

    private static object? Child(object? module, string name) => Modules(module)?.GetValueOrDefault(name);
}
