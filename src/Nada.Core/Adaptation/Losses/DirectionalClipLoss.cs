using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// StyleGAN-NADA's directional CLIP loss: mean over the batch of
/// 1 - cos(normalise(normalise(E(trainable)) - normalise(E(frozen))), direction).
/// The direction is a text direction, an image-guided one or a mix.
/// </summary>
public sealed class DirectionalClipLoss : IClipLoss
{
    private readonly Func<Tensor> direction;
    private readonly IDisposable? owned;

    /// <inheritdoc/>
    public string Name => "directional";
    /// <inheritdoc/>
    public float Weight { get; }

    /// <summary>Along a text direction (computed on first use; this loss takes ownership).</summary>
    public DirectionalClipLoss(TextDirection textDirection, float weight = 1f)
    {
        direction = () => textDirection.Value;
        owned = textDirection;
        Weight = weight;
    }

    /// <summary>Along a fixed direction [1, D] (copied).</summary>
    public DirectionalClipLoss(Tensor fixedDirection, float weight = 1f)
    {
        var copy = fixedDirection.detach().clone().DetachFromDisposeScope();
        direction = () => copy;
        owned = copy;
        Weight = weight;
    }

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs) =>
        Compute(inputs.FrozenFeatures, inputs.DirectionalTrainableFeatures ?? inputs.TrainableFeatures, direction());

    /// <summary>The loss from unnormalised features [N, D] and a normalised direction [1, D].</summary>
    public static Tensor Compute(Tensor frozenFeatures, Tensor trainableFeatures, Tensor direction)
    {
        using var scope = NewDisposeScope();
        var edit = ClipLossMath.Normalize(trainableFeatures) - ClipLossMath.Normalize(frozenFeatures);   // [N, D]
        edit = ClipLossMath.Normalize(edit);
        var cos = nn.functional.cosine_similarity(edit, direction.to(edit.dtype), 1);                    // [N]
        return (1 - cos).mean().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => owned?.Dispose();
}
