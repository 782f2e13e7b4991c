using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Tests.Clip;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Losses;

/// <summary>Text direction, directional loss (value and gradient) and global loss against the reference.</summary>
public class ClipLossParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files => new() { "clip_openai_tiny_vit.pt", "clip_openai_tiny_vit_jit.pt" };

    [Theory]
    [MemberData(nameof(Files))]
    public void TextDirectionPhotoToSketchMatches(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        using var direction = new TextDirection(model, "photo", "sketch");
        var err = Errors.MaxAbsRelative(direction.Value, expected["text_direction_photo_to_sketch"]);
        output.WriteLine($"{file} text_direction_photo_to_sketch: max abs error / max abs = {err:E3}");
        Assert.Equal(expected["text_direction_photo_to_sketch"].shape, direction.Value.shape);
        Assert.True(err <= 1e-4, $"relative max error {err:E3}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void DirectionalLossAndGradientMatch(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        using var losses = new ClipLossSet(ensemble, new ClipLossWeights(Directional: 1), "photo", "sketch");
        var tgt = expected["tgt_img"].clone().requires_grad_(true);
        var result = losses.Forward(expected["src_img"], tgt);
        result.Total.backward();

        var lossErr = Math.Abs(result.Total.item<float>() - expected["directional_loss"].item<float>());
        var gradErr = Errors.RelativeL2(tgt.grad!, expected["directional_loss_grad_tgt"]);
        output.WriteLine($"{file} directional_loss: {result.Total.item<float>():F7} vs {expected["directional_loss"].item<float>():F7}, abs error {lossErr:E3}");
        output.WriteLine($"{file} directional_loss_grad_tgt: relative L2 error {gradErr:E3}");
        Assert.True(lossErr <= 1e-5, $"abs error {lossErr:E3}");
        Assert.True(gradErr <= 1e-3, $"relative L2 error {gradErr:E3}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void GlobalLossForSketchMatches(string file)
    {
        using var scope = NewDisposeScope();
        using var expected = new ExpectedTensors(ClipParityFiles.File("clip_expected.safetensors"));
        using var model = ClipLoader.Load(ClipParityFiles.File(file));
        using var loss = new GlobalClipLoss(model, "sketch");
        var features = model.EncodeImage(ClipPreprocessor.For(model).Forward(expected["tgt_img"]));
        var value = loss.Compute(features).item<float>();
        var err = Math.Abs(value - expected["global_loss_sketch"].item<float>());
        output.WriteLine($"{file} global_loss_sketch: {value:F7} vs {expected["global_loss_sketch"].item<float>():F7}, abs error {err:E3}");
        Assert.True(err <= 1e-5, $"abs error {err:E3}");
    }
}
