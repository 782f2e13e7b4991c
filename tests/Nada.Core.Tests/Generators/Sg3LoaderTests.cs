using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Reading StyleGAN3 files: NVIDIA pickles whose content does not match the architecture (a missing filter buffer,
/// a mis-shaped tensor, an extra tensor, inconsistent layer attributes, unknown constructor arguments) are refused in
/// one message naming the file and the tensor; our format round-trips every tensor and the config, and refuses
/// files it cannot rebuild.
/// </summary>
public class Sg3LoaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-sg3-loader-");

    public void Dispose() => _dir.Delete(true);

    private string Tmp(string name) => Path.Combine(_dir.FullName, name);

    private static string Pickle(string name) => Sg2TestData.File("nvlabs", name + ".pkl");

    /// <summary>The pickle's object graph, to be altered the way a damaged or foreign file would be.</summary>
    private static Dictionary<string, object?> Graph(string name) =>
        Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(Pickle(name)));

    private static IDictionary<string, object?> State(object? module)
    {
        var p = Assert.IsType<PickledObject>(module);
        var state = p.State.ContainsKey("_modules") ? p.State : (IReadOnlyDictionary<string, object?>)p.State["state"]!;
        return (IDictionary<string, object?>)state;
    }

    private static IDictionary<string, object?> Sub(IDictionary<string, object?> state, string key) =>
        (IDictionary<string, object?>)state[key]!;

    /// <summary>G_ema.synthesis's layer modules by name (input first).</summary>
    private static IDictionary<string, object?> SynthesisModules(Dictionary<string, object?> graph) =>
        Sub(State(Sub(State(graph["G_ema"]), "_modules")["synthesis"]), "_modules");

    [Theory]
    [InlineData("sg3t")]
    [InlineData("sg3r")]
    public void AMissingFilterBufferIsNamed(string name)
    {
        var graph = Graph(name);
        var layerName = SynthesisModules(graph).Keys.First(k => k.StartsWith('L'));
        Sub(State(SynthesisModules(graph)[layerName]), "_buffers").Remove("up_filter");
        var e = Assert.Throws<CheckpointException>(() => NvidiaSg3Format.Load(Pickle(name), graph));
        Assert.Contains(name + ".pkl", e.Message);
        Assert.Contains($"missing tensors: synthesis.{layerName}.up_filter", e.Message);
    }

    [Fact]
    public void MisShapedExtraAndMissingTensorsAreAllNamedInOneMessage()
    {
        var graph = Graph("sg3t");
        var modules = SynthesisModules(graph);
        var names = modules.Keys.Where(k => k.StartsWith('L')).ToList();
        var weights = Sub(State(modules[names[1]]), "_parameters");
        var w = (Tensor)weights["weight"]!;
        weights["weight"] = zeros(w.shape[0], w.shape[1] + 1, w.shape[2], w.shape[3]);
        Sub(State(modules[names[^1]]), "_buffers")["up_filter"] = ones(4);          // ToRGB has no filters
        Sub(State(modules["input"]), "_buffers").Remove("freqs");
        var e = Assert.Throws<CheckpointException>(() => NvidiaSg3Format.Load(Pickle("sg3t"), graph));
        Assert.Contains("sg3t.pkl", e.Message);
        Assert.Contains($"mis-shaped tensors: synthesis.{names[1]}.weight [{w.shape[0]}, {w.shape[1] + 1}, {w.shape[2]}, {w.shape[3]}] (needs [{string.Join(", ", w.shape)}]", e.Message);
        Assert.Contains($"unused tensors: synthesis.{names[^1]}.up_filter", e.Message);
        Assert.Contains("missing tensors: synthesis.input.freqs", e.Message);
        Assert.Single(e.Message.Split('\n'));
    }

    [Fact]
    public void LayerAttributesThatDisagreeWithTheArgumentsAreRefused()
    {
        var graph = Graph("sg3r");
        var modules = SynthesisModules(graph);
        var layer = modules.Keys.First(k => k.StartsWith('L'));
        State(modules[layer])["in_cutoff"] = 123.5;
        var e = Assert.Throws<CheckpointException>(() => NvidiaSg3Format.Load(Pickle("sg3r"), graph));
        Assert.Contains($"G_ema.synthesis.{layer}.in_cutoff is 123.5", e.Message);
        Assert.Contains("sg3r.pkl", e.Message);

        var graph2 = Graph("sg3t");
        var kwargs = (IDictionary<string, object?>)State(graph2["G_ema"])["_init_kwargs"]!;
        kwargs["fancy_new_option"] = 3L;
        var e2 = Assert.Throws<CheckpointException>(() => NvidiaSg3Format.Load(Pickle("sg3t"), graph2));
        Assert.Contains("'fancy_new_option'", e2.Message);

        var graph3 = Graph("sg3t");
        ((IDictionary<string, object?>)State(graph3["G_ema"])["_init_kwargs"]!)["c_dim"] = 10L;
        Assert.Contains("conditional", Assert.Throws<CheckpointException>(() => NvidiaSg3Format.Load(Pickle("sg3t"), graph3)).Message);
    }

    [Fact]
    public void OurFormatRoundTripKeepsEveryTensorAndTheConfig()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var cfg = StyleGan3Config.Tiny(16, radial: true) with { ConvClamp = null, OutputScale = 0.5f };
        using var g = new StyleGan3Generator(cfg);
        using (no_grad())
        {
            foreach (var (_, t) in g.state_dict()) t.add_(randn_like(t) * 0.01f);
            g.LatentAvg.copy_(randn(cfg.WDim));
        }
        g.SetInputTransform(new InputTransform(0.25, 0, 45));
        var written = GeneratorLoader.Save(g, Tmp("sg3.safetensors"));
        var (_, metadata) = SafeTensorsFile.Load(written);
        Assert.Equal(NadaFormat.StyleGan3FormatTag, metadata["format"]);
        Assert.Equal(cfg.ToJson(), File.ReadAllText(Tmp("sg3.json")).Trim());
        var (loaded, format) = GeneratorLoader.Load(written);
        using var _ = loaded;
        Assert.Equal(GeneratorFormat.Nada, format);
        var sg3 = Assert.IsType<StyleGan3Generator>(loaded);
        Assert.Equal(cfg, sg3.Architecture);
        var a = g.state_dict();
        Assert.Equal(a.Keys.Order(), sg3.state_dict().Keys.Order());
        Assert.Contains(a.Keys, k => k.EndsWith("down_filter", StringComparison.Ordinal));
        foreach (var (name, t) in sg3.state_dict()) Assert.Equal(0.0, Sg2TestData.MaxAbs(t, a[name]));
        using var noGrad = no_grad();
        var z = randn(2, cfg.ZDim);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(sg3.Generate(z, 0.7f), g.Generate(z, 0.7f)));
        // The JSON twin names the same generator; without metadata the sibling JSON rebuilds it.
        using var viaJson = GeneratorLoader.LoadGenerator(Tmp("sg3.json"));
        Assert.Equal(GeneratorFamily.StyleGan3, viaJson.Config.Family);
        SafeTensorsFile.Save(Tmp("bare.safetensors"), g.state_dict());
        File.Copy(Tmp("sg3.json"), Tmp("bare.json"));
        using var bare = GeneratorLoader.LoadGenerator(Tmp("bare.safetensors"));
        Assert.Equal(cfg, Assert.IsType<StyleGan3Generator>(bare).Architecture);
    }

    [Fact]
    public void OurFormatRefusesWhatItCannotRebuild()
    {
        using var scope = NewDisposeScope();
        using var g = new StyleGan3Generator(StyleGan3Config.Tiny(16));
        var sd = g.state_dict();
        // A StyleGAN3 state dict with neither config metadata nor sibling JSON.
        SafeTensorsFile.Save(Tmp("noconfig.safetensors"), sd);
        var e = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("noconfig.safetensors")));
        Assert.Contains("noconfig.safetensors", e.Message);
        Assert.Contains("config", e.Message);
        // A missing filter in our format.
        var meta = new Dictionary<string, string> { ["format"] = NadaFormat.StyleGan3FormatTag, ["config"] = g.Config.ToJson() };
        var filter = sd.Keys.First(k => k.EndsWith("down_filter", StringComparison.Ordinal));
        SafeTensorsFile.Save(Tmp("nofilter.safetensors"), sd.Where(kv => kv.Key != filter).ToDictionary(), meta);
        var e2 = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("nofilter.safetensors")));
        Assert.Contains("nofilter.safetensors", e2.Message);
        Assert.Contains(filter, e2.Message);
        // A broken config and an unknown format tag.
        var badMeta = new Dictionary<string, string>(meta) { ["config"] = "{\"ImgResolution\": 16}" };
        SafeTensorsFile.Save(Tmp("badconfig.safetensors"), sd, badMeta);
        Assert.Contains("badconfig.safetensors", Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("badconfig.safetensors"))).Message);
        SafeTensorsFile.Save(Tmp("future.safetensors"), sd, new Dictionary<string, string> { ["format"] = "nada-stylegan9" });
        Assert.Contains("nada-stylegan9", Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("future.safetensors"))).Message);
    }
}
