using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

/// <summary>The tiny OpenAI CLIP ViT, loaded from the state-dict .pt and from the TorchScript archive, against the reference features.</summary>
public class ClipModelParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files => new() { "clip_openai_tiny_vit.pt", "clip_openai_tiny_vit_jit.pt" };

    private const double FeatureTolerance = 1e-4;   // max abs error relative to the feature's max abs

    [Theory]
    [MemberData(nameof(Files))]
    public void ArchitectureIsInferredFromTheWeights(string file)
    {
        var cfg = ClipParityFiles.ClipConfig();
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        Assert.True(model.Config.IsVisionTransformer);
        Assert.Equal(cfg.GetProperty("embed_dim").GetInt32(), model.Config.EmbedDim);
        Assert.Equal(cfg.GetProperty("vision_width").GetInt32(), model.Config.VisionWidth);
        Assert.Equal(cfg.GetProperty("vision_layers").GetInt32(), model.Config.VisionLayers[0]);
        Assert.Equal(cfg.GetProperty("vision_patch_size").GetInt32(), model.Config.VisionPatchSize);
        Assert.Equal(cfg.GetProperty("image_resolution").GetInt32(), model.InputResolution);
        Assert.Equal(cfg.GetProperty("text_width").GetInt32(), model.Config.TransformerWidth);
        Assert.Equal(cfg.GetProperty("text_layers").GetInt32(), model.Config.TransformerLayers);
        Assert.Equal(ClipTokenizer.Shared.VocabSize, model.Config.VocabSize);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TextFeaturesMatch(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        var prompts = expected.Meta<string[]>("prompts");
        var tokens = ClipTokenizer.Shared.Tokenize(prompts, truncate: true, contextLength: model.Config.ContextLength);
        var features = model.EncodeText(tokens);
        var err = Errors.MaxAbsRelative(features, expected["text_features"]);
        output.WriteLine($"{file} text_features: max abs error / max abs = {err:E3}");
        Assert.Equal(expected["text_features"].shape, features.shape);
        Assert.True(err <= FeatureTolerance, $"relative max error {err:E3}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ImageFeaturesMatchAfterPreprocessing(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        var features = model.EncodeImage(ClipPreprocessor.For(model).Forward(expected["src_img"]));
        var err = Errors.MaxAbsRelative(features, expected["image_features_src"]);
        output.WriteLine($"{file} image_features_src: max abs error / max abs = {err:E3}");
        Assert.Equal(expected["image_features_src"].shape, features.shape);
        Assert.True(err <= FeatureTolerance, $"relative max error {err:E3}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TemplateTextFeaturesMatch(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        var features = TextDirection.TemplateFeatures(model, "photo", PromptTemplates.ImageNet);
        var err = Errors.MaxAbsRelative(features, expected["template_text_features_photo"]);
        output.WriteLine($"{file} template_text_features_photo: max abs error / max abs = {err:E3}");
        Assert.Equal(expected["template_text_features_photo"].shape, features.shape);
        Assert.True(err <= FeatureTolerance, $"relative max error {err:E3}");
    }
}
