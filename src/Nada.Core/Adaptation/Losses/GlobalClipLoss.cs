using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// StyleGAN-CLIP's global loss: mean(1 - logits_per_image / 100) between the trainable images and one text,
/// with logits scaled by the model's own exp(logit_scale) (not by 100).
/// </summary>
public sealed class GlobalClipLoss : IClipLoss
{
    private readonly ClipModel model;
    private Tensor? textFeatures;

    /// <summary>The text the images are pulled toward (the reference uses "a {target}" in training, the bare target in layer selection).</summary>
    public string Text { get; }
    /// <inheritdoc/>
    public string Name => "global";
    /// <inheritdoc/>
    public float Weight { get; }

    /// <exception cref="ArgumentException">The text is empty.</exception>
    public GlobalClipLoss(ClipModel model, string text, float weight = 1f)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("The global CLIP loss needs a target text.");
        this.model = model;
        Text = text;
        Weight = weight;
    }

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs) => Compute(inputs.TrainableFeatures);

    /// <summary>The loss for unnormalised image features [N, D] of this loss's model.</summary>
    public Tensor Compute(Tensor imageFeatures)
    {
        textFeatures ??= EncodeText().DetachFromDisposeScope();
        using var scope = NewDisposeScope();
        var (perImage, _) = model.Logits(imageFeatures, textFeatures);         // [N, 1]
        return (1 - perImage / 100).mean().MoveToOuterDisposeScope();
    }

    private Tensor EncodeText()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = ClipTokenizer.Shared.Tokenize([Text], contextLength: model.Config.ContextLength);
        return model.EncodeText(tokens).MoveToOuterDisposeScope();             // [1, D]
    }

    /// <inheritdoc/>
    public void Dispose() => textFeatures?.Dispose();
}
