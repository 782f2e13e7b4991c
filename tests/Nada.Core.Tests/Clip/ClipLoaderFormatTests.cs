using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

/// <summary>
/// The parity CLIP rewritten as safetensors, with OpenAI/open_clip names and with Hugging Face names
/// (the renaming spelled out here from transformers' CLIPModel), loads to the same features as the .pt.
/// </summary>
public sealed class ClipLoaderFormatTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("nada-clip-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static Dictionary<string, Tensor> OpenAiState() =>
        ((Dictionary<string, object?>)CheckpointReader.Read(ClipParityFiles.File("clip_openai_tiny_vit.pt"))!)
            .Where(kv => kv.Value is Tensor t && t.dim() > 0 || kv.Key == "logit_scale")
            .ToDictionary(kv => kv.Key, kv => (Tensor)kv.Value!);

    private static Dictionary<string, Tensor> ToHuggingFace(Dictionary<string, Tensor> sd)
    {
        var hf = new Dictionary<string, Tensor>();
        foreach (var (k, v) in sd)
        {
            string Layer(string tower, string rest)
            {
                var parts = rest.Split('.', 2);                                 // "N", "attn.in_proj_weight"
                var inner = parts[1]
                    .Replace("attn.out_proj", "self_attn.out_proj").Replace("ln_1", "layer_norm1").Replace("ln_2", "layer_norm2")
                    .Replace("mlp.c_fc", "mlp.fc1").Replace("mlp.c_proj", "mlp.fc2");
                return $"{tower}.encoder.layers.{parts[0]}.{inner}";
            }
            void Qkv(string tower, string rest)
            {
                var parts = rest.Split('.', 2);
                var kind = parts[1].EndsWith("weight") ? "weight" : "bias";
                var chunks = v.chunk(3, 0);
                for (var i = 0; i < 3; i++) hf[$"{tower}.encoder.layers.{parts[0]}.self_attn.{"qkv"[i]}_proj.{kind}"] = chunks[i].contiguous();
            }
            const string vt = "visual.transformer.resblocks.", tt = "transformer.resblocks.";
            if (k.StartsWith(vt) && k.Contains("in_proj")) Qkv("vision_model", k[vt.Length..]);
            else if (k.StartsWith(vt)) hf[Layer("vision_model", k[vt.Length..])] = v;
            else if (k.StartsWith(tt) && k.Contains("in_proj")) Qkv("text_model", k[tt.Length..]);
            else if (k.StartsWith(tt)) hf[Layer("text_model", k[tt.Length..])] = v;
            else
            {
                var name = k switch
                {
                    "visual.conv1.weight" => "vision_model.embeddings.patch_embedding.weight",
                    "visual.class_embedding" => "vision_model.embeddings.class_embedding",
                    "visual.positional_embedding" => "vision_model.embeddings.position_embedding.weight",
                    "visual.ln_pre.weight" => "vision_model.pre_layrnorm.weight",
                    "visual.ln_pre.bias" => "vision_model.pre_layrnorm.bias",
                    "visual.ln_post.weight" => "vision_model.post_layernorm.weight",
                    "visual.ln_post.bias" => "vision_model.post_layernorm.bias",
                    "visual.proj" => "visual_projection.weight",
                    "text_projection" => "text_projection.weight",
                    "token_embedding.weight" => "text_model.embeddings.token_embedding.weight",
                    "positional_embedding" => "text_model.embeddings.position_embedding.weight",
                    "ln_final.weight" => "text_model.final_layer_norm.weight",
                    "ln_final.bias" => "text_model.final_layer_norm.bias",
                    "logit_scale" => "logit_scale",
                    _ => throw new InvalidOperationException(k),
                };
                hf[name] = name.EndsWith("projection.weight") ? v.t().contiguous() : v;
            }
        }
        hf["text_model.embeddings.position_ids"] = arange(sd["positional_embedding"].shape[0]).unsqueeze(0);
        return hf;
    }

    /// <summary>Fixed test images; a private generator, since tests run in parallel and the global seed is shared.</summary>
    private static Tensor TestImages() => rand(2, 3, 40, 56, generator: new TorchSharp.torch.Generator(3)) * 2 - 1;

    private static (Tensor Text, Tensor Image) Features(ClipModel model)
    {
        var tokens = ClipTokenizer.Shared.Tokenize(["a photo", "a sketch"], contextLength: model.Config.ContextLength);
        var images = TestImages();
        return (model.EncodeText(tokens), model.EncodeImage(ClipPreprocessor.For(model).Forward(images)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SafeTensorsLoadLikeThePtFile(bool huggingFaceNames)
    {
        using var scope = NewDisposeScope();
        var sd = OpenAiState();
        var path = Path.Combine(dir, huggingFaceNames ? "model.safetensors" : "open_clip_model.safetensors");
        SafeTensorsFile.Save(path, huggingFaceNames ? ToHuggingFace(sd) : sd);
        Assert.Equal(ClipFileFormat.SafeTensors, ClipLoader.DetectFormat(path));

        using var reference = ClipLoader.Load(ClipParityFiles.File("clip_openai_tiny_vit.pt"));
        using var loaded = ClipLoader.Load(path);
        Assert.Equal(reference.Config, loaded.Config with { VisionLayers = reference.Config.VisionLayers });
        Assert.Equal(reference.Config.VisionLayers, loaded.Config.VisionLayers);
        var (t0, i0) = Features(reference);
        var (t1, i1) = Features(loaded);
        Assert.True(t0.allclose(t1, rtol: 1e-5, atol: 1e-6));
        Assert.True(i0.allclose(i1, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void FormatsAreDetectedByContent()
    {
        Assert.Equal(ClipFileFormat.TorchStateDict, ClipLoader.DetectFormat(ClipParityFiles.File("clip_openai_tiny_vit.pt")));
        Assert.Equal(ClipFileFormat.TorchScript, ClipLoader.DetectFormat(ClipParityFiles.File("clip_openai_tiny_vit_jit.pt")));
    }

    [Fact]
    public void NonClipFilesGiveClearErrors()
    {
        var missing = Path.Combine(dir, "nope.pt");
        Assert.Throws<FileNotFoundException>(() => ClipLoader.Load(missing));

        var text = Path.Combine(dir, "notes.pt");
        File.WriteAllText(text, "hello, not a model");
        var e = Assert.Throws<ClipFormatException>(() => ClipLoader.Load(text));
        Assert.Contains(text, e.Message);

        // A real checkpoint that is not CLIP: the StyleGAN2 generator.
        var gan = ClipParityFiles.File("stylegan2_rosinality.pt");
        e = Assert.Throws<ClipFormatException>(() => ClipLoader.Load(gan));
        Assert.Contains("stylegan2_rosinality.pt", e.Message);
    }

    [Fact]
    public void HalfPrecisionRunsAndStaysClose()
    {
        using var scope = NewDisposeScope();
        using var full = ClipLoader.Load(ClipParityFiles.File("clip_openai_tiny_vit.pt"));
        using var half = ClipLoader.Load(ClipParityFiles.File("clip_openai_tiny_vit.pt"), new ClipLoadOptions(ScalarType.BFloat16));
        Assert.All(half.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var (t0, _) = Features(full);
        var (t1, _) = Features(half);
        Assert.Equal(ScalarType.Float32, t1.dtype);    // features leave a half-precision model as float32
        var rel = (t1.to(ScalarType.Float32) - t0).abs().max().item<float>() / t0.abs().max().item<float>();
        Assert.True(rel < 0.1f, $"bfloat16 relative error {rel}");
    }
}
