using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// StyleGAN-NADA's texture loss: mean squared error between the unnormalised CLIP image features of the
/// trainable images and those of a style image (the mean over several style images). The reference
/// computes it with the RN50 model; here it uses the model it is bound to.
/// </summary>
public sealed class TextureLoss : IClipLoss
{
    private readonly Tensor styleFeatures;

    /// <inheritdoc/>
    public string Name => "texture";
    /// <inheritdoc/>
    public float Weight { get; }

    /// <param name="model">The CLIP model.</param>
    /// <param name="styleImages">Style images [K, 3, H, W] in [-1, 1], any size.</param>
    /// <param name="weight">Weight of the term.</param>
    public TextureLoss(ClipModel model, Tensor styleImages, float weight = 1f)
    {
        if (styleImages.dim() != 4 || styleImages.shape[0] == 0)
            throw new ArgumentException("The texture loss needs at least one style image [K, 3, H, W].");
        Weight = weight;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var f = model.EncodeImage(ClipPreprocessor.For(model).Forward(styleImages.to(model.LogitScale.device)));  // [K, D]
        styleFeatures = f.mean([0], keepdim: true).DetachFromDisposeScope();                                     // [1, D]
    }

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs)
    {
        using var scope = NewDisposeScope();
        var diff = inputs.TrainableFeatures - styleFeatures.to(inputs.TrainableFeatures.dtype);   // [N, D]
        return diff.square().mean().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => styleFeatures.Dispose();
}
