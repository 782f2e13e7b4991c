using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>What a CLIP loss sees for one model of the ensemble in one step.</summary>
public sealed class ClipLossInputs
{
    /// <summary>The CLIP model.</summary>
    public required ClipModel Model { get; init; }
    /// <summary>Its preprocessing.</summary>
    public required ClipPreprocessor Preprocessor { get; init; }
    /// <summary>Images of the frozen generator [N, 3, H, W] in [-1, 1].</summary>
    public required Tensor FrozenImages { get; init; }
    /// <summary>Images of the trainable generator [N, 3, H, W] in [-1, 1] (the loss is differentiated w.r.t. these).</summary>
    public required Tensor TrainableImages { get; init; }
    /// <summary>Unnormalised image features of the frozen images [N, D].</summary>
    public required Tensor FrozenFeatures { get; init; }
    /// <summary>Unnormalised image features of the trainable images [N, D].</summary>
    public required Tensor TrainableFeatures { get; init; }
    /// <summary>
    /// Trainable features for the directional loss: <see cref="TrainableFeatures"/>, or the features of
    /// trainable images + 1e-6 when both generators still render the same images (as the reference does, so
    /// the edit direction is not zero).
    /// </summary>
    public Tensor? DirectionalTrainableFeatures { get; init; }
}

/// <summary>One weighted CLIP loss term bound to one CLIP model. Differentiable w.r.t. the trainable images; no host synchronisation.</summary>
public interface IClipLoss : IDisposable
{
    /// <summary>Name of the term in progress reports ("directional", "global", ...).</summary>
    string Name { get; }
    /// <summary>Weight (lambda) of the term.</summary>
    float Weight { get; }
    /// <summary>The unweighted loss, a scalar tensor.</summary>
    Tensor Forward(ClipLossInputs inputs);
}

/// <summary>Small tensor helpers shared by the losses.</summary>
internal static class ClipLossMath
{
    /// <summary>Rows divided by their L2 norms.</summary>
    public static Tensor Normalize(Tensor x) => x / x.norm(-1, true);
}
