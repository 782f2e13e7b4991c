using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

public class GeneratorLoaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-loader-");

    public void Dispose() => _dir.Delete(true);

    private string Tmp(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void OurFormatRoundTripKeepsEverything()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var cfg = StyleGan2Config.Tiny(16) with { LrMultiplier = 0.02f, ConvClamp = 256f };
        using var g = new StyleGan2Generator(cfg);
        using (no_grad()) g.LatentAvg.copy_(randn(cfg.WDim));
        var written = GeneratorLoader.Save(g, Tmp("tiny.safetensors"));
        Assert.Equal(Tmp("tiny.safetensors"), written);
        Assert.Equal(cfg.ToJson(), File.ReadAllText(Tmp("tiny.json")).Trim());

        var (loaded, format) = GeneratorLoader.Load(written);
        using var _ = loaded;
        Assert.Equal(GeneratorFormat.Nada, format);
        Assert.Equal(cfg.ToJson(), loaded.Config.ToJson());
        var a = g.state_dict();
        foreach (var (name, t) in loaded.state_dict()) Assert.Equal(0.0, Sg2TestData.MaxAbs(t, a[name]));
        // The JSON twin is accepted as the path too.
        using var viaJson = GeneratorLoader.LoadGenerator(Tmp("tiny.json"));
        Assert.Equal(cfg.ImgResolution, viaJson.Config.ImgResolution);
    }

    [Fact]
    public void MappingFillerNamesMissingMisShapedAndUnusedTensors()
    {
        using var scope = NewDisposeScope();
        var target = new Dictionary<string, Tensor> { ["a.weight"] = zeros(2, 3), ["b.bias"] = zeros(4), ["c.bias"] = zeros(1) };
        var source = new Dictionary<string, Tensor> { ["A"] = ones(3, 2), ["B"] = ones(5), ["extra"] = ones(1) };
        var table = new List<TensorMapping> { new("a.weight", "A", t => t.t()), new("b.bias", "B"), new("c.bias", "C") };
        var e = Assert.Throws<CheckpointException>(() => TensorMappingFiller.Fill("model.pkl", "test format", target, source, table));
        Assert.Contains("model.pkl", e.Message);
        Assert.Contains("missing tensors: C", e.Message);
        Assert.Contains("B [5] (needs [4] for b.bias)", e.Message);
        Assert.Contains("unused tensors: extra", e.Message);
        Assert.Equal(1f, target["a.weight"][1, 2].item<float>()); // the good row was copied (transposed)

        var noSource = new List<TensorMapping> { new("a.weight", "A", t => t.t()) };
        var e2 = Assert.Throws<CheckpointException>(() => TensorMappingFiller.Fill("m.pt", "test format",
            new Dictionary<string, Tensor> { ["a.weight"] = zeros(2, 3), ["z"] = zeros(1) }, new Dictionary<string, Tensor> { ["A"] = ones(3, 2) }, noSource));
        Assert.Contains("generator parameters with no source: z", e2.Message);
    }

    [Fact]
    public void SafeTensorsWithAMissingTensorIsRefused()
    {
        using var scope = NewDisposeScope();
        using var g = new StyleGan2Generator(StyleGan2Config.Tiny(8));
        var sd = g.state_dict().Where(kv => kv.Key != "conv1.noise.weight").ToDictionary(kv => kv.Key, kv => kv.Value);
        SafeTensorsFile.Save(Tmp("broken.safetensors"), sd);
        var e = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("broken.safetensors")));
        Assert.Contains("broken.safetensors", e.Message);
        Assert.Contains("conv1.noise.weight", e.Message);
    }

    [Fact]
    public void MissingFileAndFolderAreClearErrors()
    {
        var e = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("nope.pkl")));
        Assert.Contains("nope.pkl", e.Message);
        Assert.Contains("not found", e.Message);
        var e2 = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(_dir.FullName));
        Assert.Contains("folder", e2.Message);
    }

    [Fact]
    public void HtmlPageAndTruncatedFileAreCheckpointErrors()
    {
        File.WriteAllText(Tmp("model.pkl"), "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>");
        var e = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("model.pkl")));
        Assert.Contains("model.pkl", e.Message);

        var bytes = File.ReadAllBytes(Sg2TestData.File("stylegan2_rosinality.pt"));
        File.WriteAllBytes(Tmp("cut.pt"), bytes[..(bytes.Length / 2)]);
        var e2 = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(Tmp("cut.pt")));
        Assert.Contains("cut.pt", e2.Message);
    }

    [Fact]
    public void ParityCheckpointConfigIsInferredFromTensors()
    {
        // Compare with config.json's generator entry (no shape is assumed here).
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Sg2TestData.File("config.json")));
        var gen = json.RootElement.GetProperty("generator");
        using var g = (StyleGan2Generator)GeneratorLoader.LoadGenerator(Sg2TestData.File("stylegan2_rosinality.pt"));
        Assert.Equal(gen.GetProperty("size").GetInt32(), g.Config.ImgResolution);
        Assert.Equal(gen.GetProperty("style_dim").GetInt32(), g.Config.WDim);
        Assert.Equal(gen.GetProperty("n_mlp").GetInt32(), g.Architecture.MappingLayers);
        Assert.Equal(gen.GetProperty("n_latent").GetInt32(), g.Config.NumWs);
        foreach (var c in gen.GetProperty("channels").EnumerateObject())
            Assert.Equal(c.Value.GetInt32(), g.Architecture.ChannelsAt(int.Parse(c.Name)));
    }
}
