using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// StyleGAN-NADA's manifold angle loss: mean over the batch of |cos(E(trainable), E(frozen)) - cos(t_target, t_source)|,
/// where t are the template-averaged, normalised text embeddings and E the normalised image embeddings.
/// </summary>
public sealed class ManifoldAngleLoss : IClipLoss
{
    private readonly ClipModel model;
    private readonly string source;
    private readonly string target;
    private Tensor? textCosine;

    /// <inheritdoc/>
    public string Name => "manifold";
    /// <inheritdoc/>
    public float Weight { get; }

    /// <exception cref="ArgumentException">A text is empty, or source equals target.</exception>
    public ManifoldAngleLoss(ClipModel model, string source, string target, float weight = 1f)
    {
        TextDirection.ValidateTexts(source, target);
        this.model = model;
        this.source = source;
        this.target = target;
        Weight = weight;
    }

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs)
    {
        textCosine ??= TextCosine().DetachFromDisposeScope();
        using var scope = NewDisposeScope();
        var src = ClipLossMath.Normalize(inputs.FrozenFeatures);                       // [N, D]
        var tgt = ClipLossMath.Normalize(inputs.TrainableFeatures);
        var imageCosine = (src * tgt).sum(-1).clamp(-1.0, 1.0);                       // [N]
        return (imageCosine - textCosine).abs().mean().MoveToOuterDisposeScope();
    }

    private Tensor TextCosine()
    {
        using var scope = NewDisposeScope();
        var s = TextDirection.MeanTemplateFeature(model, source, PromptTemplates.ImageNet);   // [1, D]
        var t = TextDirection.MeanTemplateFeature(model, target, PromptTemplates.ImageNet);
        return (s * t).sum().MoveToOuterDisposeScope();                                       // scalar
    }

    /// <inheritdoc/>
    public void Dispose() => textCosine?.Dispose();
}
