using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>The CLIP losses as the trainer sees them: differentiable w.r.t. the trainable images.</summary>
public interface IAdaptationLoss
{
    /// <summary>
    /// The weighted training loss of a batch (scalar) and its parts by name, all still on the device:
    /// the trainer reads them on the host only at reporting intervals.
    /// </summary>
    (Tensor Total, IReadOnlyDictionary<string, Tensor> Parts) Compute(Tensor frozenImages, Tensor trainableImages);

    /// <summary>The global loss toward the target (scalar), used to score W+ entries in layer selection.</summary>
    Tensor GlobalLoss(Tensor images);
}
