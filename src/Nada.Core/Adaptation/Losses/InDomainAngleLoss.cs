using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// HyperDomainNet's in-domain angle-consistency loss (Alanov et al. 2022): the adapted images of a batch should keep
/// the pairwise CLIP angles that the base generator's images of the same latents have. Mean over the pairs i &lt; j of
/// (cos(E(frozen_i), E(frozen_j)) - cos(E(trainable_i), E(trainable_j)))^2, with E the normalised image embeddings.
/// It keeps the adapted domain as diverse as the base one; it needs at least two images per batch (zero otherwise).
/// </summary>
public sealed class InDomainAngleLoss(float weight = 1f) : IClipLoss
{
    /// <inheritdoc/>
    public string Name => "angle";
    /// <inheritdoc/>
    public float Weight { get; } = weight;

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs) => Compute(inputs.FrozenFeatures, inputs.TrainableFeatures);

    /// <summary>The loss from unnormalised features [N, D] of the frozen and the trainable images of the same latents.</summary>
    public static Tensor Compute(Tensor frozenFeatures, Tensor trainableFeatures)
    {
        using var scope = NewDisposeScope();
        long n = trainableFeatures.shape[0];
        if (n < 2)
            return (trainableFeatures.sum() * 0).MoveToOuterDisposeScope();             // no pairs: zero, still on the graph
        var f = ClipLossMath.Normalize(frozenFeatures.to(ScalarType.Float32));        // [N, D]
        var t = ClipLossMath.Normalize(trainableFeatures.to(ScalarType.Float32));     // [N, D]
        var pairs = ones(n, n, dtype: ScalarType.Bool, device: t.device).triu(1);    // [N, N], i < j
        var frozenCos = f.matmul(f.t()).masked_select(pairs);                         // [N(N-1)/2]
        var trainableCos = t.matmul(t.t()).masked_select(pairs);
        return (frozenCos - trainableCos).pow(2).mean().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() { }
}
