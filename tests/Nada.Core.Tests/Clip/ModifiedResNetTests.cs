using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

/// <summary>
/// A tiny randomly initialised ModifiedResNet CLIP, written as an OpenAI-layout state dict (key names and
/// shapes spelled out here from OpenAI's model.py), loaded through the shape inference.
/// </summary>
public class ModifiedResNetTests
{
    private const int Width = 8, Embed = 16, Resolution = 64, TextWidth = 64, TextLayers = 1, Context = 77, Vocab = 49408;
    private static readonly int[] Layers = [1, 2, 1, 1];

    private static Dictionary<string, Tensor> StateDict(bool withBatchCounters = true)
    {
        var g = new Generator(1234);                                           // private: tests run in parallel
        var sd = new Dictionary<string, Tensor>();
        void Add(string name, params long[] shape) => sd[name] = (randn(shape, generator: g) * 0.1f).to(ScalarType.Float16);
        void Bn(string prefix, long c)
        {
            sd[prefix + ".weight"] = (1 + 0.1f * randn(c, generator: g)).to(ScalarType.Float16);
            sd[prefix + ".bias"] = (0.1f * randn(c, generator: g)).to(ScalarType.Float16);
            sd[prefix + ".running_mean"] = (0.1f * randn(c, generator: g)).to(ScalarType.Float16);
            sd[prefix + ".running_var"] = (1 + 0.1f * rand(c, generator: g)).to(ScalarType.Float16);
            if (withBatchCounters) sd[prefix + ".num_batches_tracked"] = tensor(10L);
        }
        Add("visual.conv1.weight", Width / 2, 3, 3, 3); Bn("visual.bn1", Width / 2);
        Add("visual.conv2.weight", Width / 2, Width / 2, 3, 3); Bn("visual.bn2", Width / 2);
        Add("visual.conv3.weight", Width, Width / 2, 3, 3); Bn("visual.bn3", Width);
        long inplanes = Width;
        for (var stage = 0; stage < 4; stage++)
        {
            long planes = Width << stage;
            for (var b = 0; b < Layers[stage]; b++)
            {
                var p = $"visual.layer{stage + 1}.{b}";
                Add(p + ".conv1.weight", planes, inplanes, 1, 1); Bn(p + ".bn1", planes);
                Add(p + ".conv2.weight", planes, planes, 3, 3); Bn(p + ".bn2", planes);
                Add(p + ".conv3.weight", planes * 4, planes, 1, 1); Bn(p + ".bn3", planes * 4);
                if (b == 0 && (stage > 0 || inplanes != planes * 4))
                {
                    Add(p + ".downsample.0.weight", planes * 4, inplanes, 1, 1); Bn(p + ".downsample.1", planes * 4);
                }
                inplanes = planes * 4;
            }
        }
        long poolDim = Width * 32, grid = Resolution / 32;
        Add("visual.attnpool.positional_embedding", grid * grid + 1, poolDim);
        foreach (var proj in new[] { "q_proj", "k_proj", "v_proj" })
        {
            Add($"visual.attnpool.{proj}.weight", poolDim, poolDim); Add($"visual.attnpool.{proj}.bias", poolDim);
        }
        Add("visual.attnpool.c_proj.weight", Embed, poolDim); Add("visual.attnpool.c_proj.bias", Embed);
        Add("token_embedding.weight", Vocab, TextWidth);
        Add("positional_embedding", Context, TextWidth);
        for (var l = 0; l < TextLayers; l++)
        {
            var p = $"transformer.resblocks.{l}";
            Add(p + ".attn.in_proj_weight", 3 * TextWidth, TextWidth); Add(p + ".attn.in_proj_bias", 3 * TextWidth);
            Add(p + ".attn.out_proj.weight", TextWidth, TextWidth); Add(p + ".attn.out_proj.bias", TextWidth);
            Add(p + ".ln_1.weight", TextWidth); Add(p + ".ln_1.bias", TextWidth);
            Add(p + ".mlp.c_fc.weight", 4 * TextWidth, TextWidth); Add(p + ".mlp.c_fc.bias", 4 * TextWidth);
            Add(p + ".mlp.c_proj.weight", TextWidth, 4 * TextWidth); Add(p + ".mlp.c_proj.bias", TextWidth);
            Add(p + ".ln_2.weight", TextWidth); Add(p + ".ln_2.bias", TextWidth);
        }
        Add("ln_final.weight", TextWidth); Add("ln_final.bias", TextWidth);
        Add("text_projection", TextWidth, Embed);
        sd["logit_scale"] = tensor(MathF.Log(1 / 0.07f));
        sd["input_resolution"] = tensor((long)Resolution);
        return sd;
    }

    [Fact]
    public void ArchitectureIsInferredAndForwardGivesEmbeddings()
    {
        using var scope = NewDisposeScope();
        using var model = ClipWeights.Build(StateDict(), "tiny-rn");
        var c = model.Config;
        Assert.False(c.IsVisionTransformer);
        Assert.Equal(Layers, c.VisionLayers);
        Assert.Equal(Width, c.VisionWidth);
        Assert.Equal(Width * 32 / 64, c.VisionHeads);
        Assert.Equal(Resolution, c.ImageResolution);
        Assert.Equal(Embed, c.EmbedDim);
        Assert.Equal((TextWidth, TextLayers, TextWidth / 64, Context, Vocab), (c.TransformerWidth, c.TransformerLayers, c.TransformerHeads, c.ContextLength, c.VocabSize));

        var images = rand(3, 3, 40, 70) * 2 - 1;                                 // non-square, smaller than the input
        var features = model.EncodeImage(ClipPreprocessor.For(model).Forward(images));
        Assert.Equal(new long[] { 3, Embed }, features.shape);
        Assert.True(features.isfinite().all().item<bool>());
        var text = model.EncodeText(ClipTokenizer.Shared.Tokenize(["a photo", "a sketch of a cat"]));
        Assert.Equal(new long[] { 2, Embed }, text.shape);
        Assert.True(text.isfinite().all().item<bool>());
    }

    [Fact]
    public void BatchNormUsesRunningStatisticsSoImagesAreIndependent()
    {
        using var scope = NewDisposeScope();
        using var model = ClipWeights.Build(StateDict(withBatchCounters: false), "tiny-rn");
        var x = randn(2, 3, Resolution, Resolution);
        var both = model.EncodeImage(x);
        var first = model.EncodeImage(x[..1]);
        Assert.True(first.allclose(both[..1], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void GradientsReachTheImagesButNotTheWeights()
    {
        using var scope = NewDisposeScope();
        using var model = ClipWeights.Build(StateDict(), "tiny-rn");
        var x = randn(1, 3, Resolution, Resolution).requires_grad_(true);
        model.EncodeImage(x).sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void MissingAndExtraTensorsAreNamed()
    {
        using var scope = NewDisposeScope();
        var sd = StateDict();
        sd.Remove("visual.layer2.0.downsample.0.weight");
        var e = Assert.Throws<ClipFormatException>(() => ClipWeights.Build(sd, "tiny-rn"));
        Assert.Contains("visual.layer2.0.downsample.0.weight", e.Message);
        Assert.Contains("tiny-rn", e.Message);

        sd = StateDict();
        sd["visual.extra.weight"] = zeros(3);
        e = Assert.Throws<ClipFormatException>(() => ClipWeights.Build(sd, "tiny-rn"));
        Assert.Contains("visual.extra.weight", e.Message);
    }
}

public class ClipConfigTests
{
    [Fact]
    public void ConfigRoundTripsThroughJson()
    {
        var config = new ClipConfig(16, 64, [1, 2, 1, 1], 8, null, 77, 49408, 64, 1, 1, ClipActivation.Gelu);
        var json = System.Text.Json.JsonSerializer.Serialize(config);
        var back = System.Text.Json.JsonSerializer.Deserialize<ClipConfig>(json)!;
        Assert.Equal(config.VisionLayers, back.VisionLayers);
        Assert.Equal(config, back with { VisionLayers = config.VisionLayers });
        Assert.False(back.IsVisionTransformer);
        Assert.Equal(4, back.VisionHeads);
    }
}
