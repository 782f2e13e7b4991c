using Nada.Core.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>The parity inputs (the formats users hold) load with the right structure, dtypes and values.</summary>
public class CheckpointParityTests
{
    [Fact]
    public void RosinalityCheckpointHasGEmaStateDictAndLatentAvg()
    {
        using var scope = NewDisposeScope();
        var generator = Config().GetProperty("generator");
        int styleDim = generator.GetProperty("style_dim").GetInt32();
        int nMlp = generator.GetProperty("n_mlp").GetInt32();

        var graph = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(Parity("stylegan2_rosinality.pt")));
        var gEma = Assert.IsType<Dictionary<string, object?>>(graph["g_ema"]);
        var latentAvg = Assert.IsType<Tensor>(graph["latent_avg"]);
        Assert.Equal(new long[] { styleDim }, latentAvg.shape);

        Assert.All(gEma.Values, v => Assert.Equal(ScalarType.Float32, Assert.IsType<Tensor>(v).dtype));
        // The mapping network: n_mlp equal-linear layers style.1 .. style.n_mlp of [style_dim, style_dim].
        for (int i = 1; i <= nMlp; i++)
        {
            var w = (Tensor)gEma[$"style.{i}.weight"]!;
            var b = (Tensor)gEma[$"style.{i}.bias"]!;
            Assert.Equal(new long[] { styleDim, styleDim }, w.shape);
            Assert.Equal(new long[] { styleDim }, b.shape);
            Assert.True(w.is_contiguous());
        }
        // Every noise buffer is [1, 1, r, r] with r a power of two from 4 up to the output size.
        int size = generator.GetProperty("size").GetInt32();
        var noises = gEma.Where(kv => kv.Key.StartsWith("noises.noise_")).Select(kv => (Tensor)kv.Value!).ToList();
        Assert.NotEmpty(noises);
        Assert.All(noises, n => Assert.True(n.shape[0] == 1 && n.shape[1] == 1 && n.shape[2] == n.shape[3] && n.shape[2] >= 4 && n.shape[2] <= size));
        // Values are real numbers, not zeros or garbage.
        Assert.All(gEma.Values.Cast<Tensor>(), t => Assert.True(isfinite(t).all().item<bool>()));
        Assert.True(latentAvg.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void RosinalityTensorsMatchTheirRawStorageBytes()
    {
        // Independent check of offset handling: each tensor equals its storage entry's bytes at its offset.
        using var scope = NewDisposeScope();
        var path = Parity("stylegan2_rosinality.pt");
        var gEma = (Dictionary<string, object?>)((Dictionary<string, object?>)CheckpointReader.Read(path)!)["g_ema"]!;
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        var root = zip.Entries.First(e => e.FullName.EndsWith("/data.pkl")).FullName[..^"data.pkl".Length];
        var storages = new List<Tensor>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(root + "data/")))
        {
            var raw = new byte[entry.Length];
            using (var s = entry.Open()) { s.ReadExactly(raw); }
            var floats = new float[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, floats, 0, raw.Length);
            storages.Add(tensor(floats));
        }
        // Every tensor of the state dict is the start of one of the raw storages, value for value.
        foreach (var (name, value) in gEma)
        {
            var t = (Tensor)value!;
            Assert.True(storages.Any(st => st.NumberOfElements >= t.NumberOfElements
                && Same(st.narrow(0, 0, t.NumberOfElements), t.flatten())), name);
        }
    }

    [Fact]
    public void ClipStateDictIsFp16WithConfiguredShapes()
    {
        using var scope = NewDisposeScope();
        var clip = Config().GetProperty("clip");
        int visionWidth = clip.GetProperty("vision_width").GetInt32();
        int patch = clip.GetProperty("vision_patch_size").GetInt32();
        int embedDim = clip.GetProperty("embed_dim").GetInt32();
        int textWidth = clip.GetProperty("text_width").GetInt32();

        var sd = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(Parity("clip_openai_tiny_vit.pt")));
        var tensors = sd.ToDictionary(kv => kv.Key, kv => Assert.IsType<Tensor>(kv.Value));
        Assert.All(tensors.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float16, t.dtype));
        Assert.Equal(new long[] { visionWidth, 3, patch, patch }, tensors["visual.conv1.weight"].shape);
        Assert.Equal(new long[] { visionWidth, embedDim }, tensors["visual.proj"].shape);
        Assert.Equal(new long[] { textWidth, embedDim }, tensors["text_projection"].shape);
        Assert.Equal(0, tensors["logit_scale"].dim());
        Assert.Equal(tensors["vocab_size"].item<long>(), tensors["token_embedding.weight"].shape[0]);
    }

    [Fact]
    public void JitArchiveParametersEqualTheStateDict()
    {
        using var scope = NewDisposeScope();
        var jit = TorchScriptArchive.LoadParameters(Parity("clip_openai_tiny_vit_jit.pt"));
        var sd = ((Dictionary<string, object?>)CheckpointReader.Read(Parity("clip_openai_tiny_vit.pt"))!)
            .ToDictionary(kv => kv.Key, kv => (Tensor)kv.Value!);

        Assert.NotEmpty(jit);
        Assert.Empty(jit.Keys.Except(sd.Keys));
        // The state dict's extra entries are the 0-dim hyper-parameters (input_resolution, ...), not weights.
        Assert.All(sd.Keys.Except(jit.Keys), k => Assert.Equal(0, sd[k].dim()));
        foreach (var (name, value) in jit)
        {
            Assert.Equal(sd[name].dtype, value.dtype);
            Assert.Equal(sd[name].shape, value.shape);
            Assert.True(Same(sd[name], value), name);
        }
        Assert.Contains("visual.conv1.weight", jit.Keys);

        // The generic reader sees the same archive as TorchScript records, their code unread.
        var module = Assert.IsType<PickledObject>(CheckpointReader.Read(Parity("clip_openai_tiny_vit_jit.pt")));
        Assert.StartsWith("__torch__.", module.Module);
        Assert.IsType<PickledObject>(module.State["visual"]);
        Assert.Equal(ScalarType.Float16, jit["visual.conv1.weight"].dtype);
    }

    [Theory]
    [InlineData("sg2ada")]
    [InlineData("sg3t")]
    [InlineData("sg3r")]
    public void NvidiaPickleGivesGEmaRecordWithItsParameters(string name)
    {
        using var scope = NewDisposeScope();
        var expected = Config("nvlabs", "nvlabs_config.json").GetProperty(name);
        var graph = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(Parity("nvlabs", name + ".pkl")));
        var gEma = Assert.IsType<PickledObject>(graph["G_ema"]);
        Assert.Equal("Generator", gEma.ClassName);
        Assert.Equal(expected.GetProperty("z_dim").GetInt64(), gEma.State["z_dim"]);
        Assert.Equal(expected.GetProperty("num_ws").GetInt64(), gEma.State["num_ws"]);
        Assert.Equal(expected.GetProperty("res").GetInt64(), gEma.State["img_resolution"]);
        Assert.Null(graph["D"]);

        // Parameter count agrees with NVIDIA's own count of the network.
        Assert.Equal(expected.GetProperty("params").GetInt64(), CountParameters(gEma));

        var flat = StateDict.Flatten(gEma);
        long wDim = (long)gEma.State["w_dim"]!;
        Assert.Equal(new long[] { wDim }, flat["mapping.w_avg"].shape);
        Assert.All(flat.Values, t => Assert.True(t.is_contiguous()));
        Assert.All(flat.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.Contains(flat.Keys, k => k.StartsWith("synthesis."));
    }

    [Fact]
    public void TensorflowPickleGivesGsNetworkWithVariables()
    {
        using var scope = NewDisposeScope();
        var graph = Assert.IsType<object?[]>(CheckpointReader.Read(Parity("nvlabs", "sg2tf.pkl")));
        Assert.Equal(3, graph.Length);
        var gs = Assert.IsType<PickledObject>(graph[2]);
        Assert.Equal("dnnlib.tflib.network.Network", gs.QualifiedName);
        var kwargs = Assert.IsType<Dictionary<string, object?>>(gs.State["static_kwargs"]);
        long dlatent = (long)kwargs["dlatent_size"]!;
        long latent = (long)kwargs["latent_size"]!;
        var components = Assert.IsType<Dictionary<string, object?>>(gs.State["components"]);
        Assert.IsType<PickledObject>(components["mapping"]);
        Assert.IsType<PickledObject>(components["synthesis"]);

        var variables = Assert.IsType<List<object?>>(gs.State["variables"]);
        var own = variables.Cast<object?[]>().ToDictionary(p => (string)p[0]!, p => (Tensor)p[1]!);
        Assert.Equal(new long[] { dlatent }, own["dlatent_avg"].shape);

        var flat = StateDict.Flatten(gs);
        Assert.Equal(new long[] { latent, flat["mapping/Dense0/bias"].shape[0] }, flat["mapping/Dense0/weight"].shape);
        Assert.All(flat.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.Contains(flat.Keys, k => k.StartsWith("synthesis/"));
    }

    [Fact]
    public void ExpectedSafetensorsTwinLoadsWithMetadata()
    {
        using var scope = NewDisposeScope();
        var (tensors, metadata) = SafeTensorsFile.Load(Parity("stylegan2_expected.safetensors"));
        Assert.Contains("z", tensors.Keys);
        Assert.Equal(ScalarType.Float32, tensors["z"].dtype);
        var style = Config().GetProperty("generator").GetProperty("style_dim").GetInt64();
        Assert.Equal(style, tensors["z"].shape[1]);
        Assert.NotNull(metadata);
    }

    /// <summary>Bit-for-bit equality of two tensors of the same shape and dtype.</summary>
    internal static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape)
        && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>Sum of parameter elements over a pickled torch.nn.Module tree (parameters only, no buffers).</summary>
    private static long CountParameters(PickledObject module)
    {
        long count = ((Dictionary<string, object?>)module.State["_parameters"]!).Values.OfType<Tensor>().Sum(t => t.NumberOfElements);
        foreach (var child in ((Dictionary<string, object?>)module.State["_modules"]!).Values.OfType<PickledObject>())
        {
            count += CountParameters(child);
        }
        return count;
    }
}
