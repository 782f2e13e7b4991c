using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>Weights (lambdas) of the CLIP loss terms; at least one must be positive.</summary>
/// <param name="Directional">Directional loss (StyleGAN-NADA's main term).</param>
/// <param name="Global">Global loss toward "a {target}".</param>
/// <param name="PatchDirectional">Patch-directional loss with the part templates.</param>
/// <param name="Manifold">Manifold angle loss.</param>
/// <param name="Texture">Texture loss against style images.</param>
/// <param name="InDomainAngle">HyperDomainNet's in-domain angle-consistency loss (pairwise angles within a batch kept as the base has them).</param>
public sealed record ClipLossWeights(float Directional = 1f, float Global = 0f, float PatchDirectional = 0f, float Manifold = 0f, float Texture = 0f,
    float InDomainAngle = 0f);

/// <summary>Optional inputs of a <see cref="ClipLossSet"/>.</summary>
/// <param name="TargetImages">Target-domain examples [K, 3, H, W] in [-1, 1] for an image-guided direction.</param>
/// <param name="SourceImages">Images of the frozen generator [M, 3, H, W] in [-1, 1], needed with <paramref name="TargetImages"/>.</param>
/// <param name="ImageDirectionWeight">With both a target text and target images: weight of the image direction in the mix (0..1).</param>
/// <param name="StyleImages">Style images [K, 3, H, W] in [-1, 1] for the texture loss.</param>
/// <param name="PatchSize">Patch side of the patch-directional loss; null: the reference's fraction of the image.</param>
/// <param name="Seed">Seed of the patch positions.</param>
public sealed record ClipLossOptions(
    Tensor? TargetImages = null,
    Tensor? SourceImages = null,
    double ImageDirectionWeight = 0.5,
    Tensor? StyleImages = null,
    int? PatchSize = null,
    int Seed = 0);

/// <summary>Result of one <see cref="ClipLossSet.Forward"/>: scalar tensors, no host synchronisation.</summary>
/// <param name="Total">Σ over models of model weight × Σ over terms of term weight × term.</param>
/// <param name="Terms">Each term's contribution to <paramref name="Total"/> (weights applied), by name.</param>
public sealed record ClipLossResult(Tensor Total, IReadOnlyDictionary<string, Tensor> Terms);

/// <summary>
/// The CLIP losses of one adaptation run over an ensemble: per model, the frozen images go through the image
/// encoder without a graph (they carry no gradient, as in the reference, which encodes them separately) and the
/// trainable ones with it; each enabled term reads the features; terms are summed with their weights and the model
/// weights. Text directions are computed once and cached. Features are float32 whatever the CLIP's precision.
/// </summary>
public sealed class ClipLossSet : IDisposable
{
    private readonly ClipEnsemble ensemble;
    private readonly List<IClipLoss>[] losses;
    private bool identicalSoFar = true;

    /// <summary>The weights in use.</summary>
    public ClipLossWeights Weights { get; }

    /// <param name="ensemble">CLIP models with weights (not owned).</param>
    /// <param name="weights">Loss weights; not all zero, none negative.</param>
    /// <param name="sourceText">Source domain text, e.g. "photo".</param>
    /// <param name="targetText">Target domain text, e.g. "sketch"; may be empty when target images are given and no text term is used.</param>
    /// <param name="options">Image-guided direction, style images, patch settings.</param>
    /// <exception cref="ArgumentException">Invalid weights, texts or missing images.</exception>
    public ClipLossSet(ClipEnsemble ensemble, ClipLossWeights weights, string sourceText, string targetText, ClipLossOptions? options = null)
    {
        options ??= new ClipLossOptions();
        Validate(weights, sourceText, targetText, options);
        this.ensemble = ensemble;
        Weights = weights;
        losses = ensemble.Members.Select(m => Build(m.Model, weights, sourceText, targetText, options)).ToArray();
    }

    /// <summary>
    /// Computes the weighted loss of trainable images [N, 3, H, W] (differentiable) against frozen images of the
    /// same latents. Per model, the frozen images are encoded under no_grad (autograd keeps nothing of that pass)
    /// and the trainable ones with gradients.
    /// While both render identical images (a freshly copied generator), the
    /// directional term uses the trainable images + 1e-6 as the reference does, so the edit direction is
    /// defined; that check is the only host synchronisation and runs until the two first differ (normally once; a
    /// float16 step skipped for overflowing gradients leaves them identical). A half-precision CLIP would round a
    /// 1e-6 shift away, so there the shift is two spacings of its dtype at 1 (<see cref="IdenticalImagesShift"/>).
    /// </summary>
    public ClipLossResult Forward(Tensor frozenImages, Tensor trainableImages)
    {
        if (!frozenImages.shape.SequenceEqual(trainableImages.shape))
            throw new ArgumentException($"Frozen and trainable images differ in shape: [{string.Join(", ", frozenImages.shape)}] vs [{string.Join(", ", trainableImages.shape)}].");
        using var scope = NewDisposeScope();
        var checkIdentical = identicalSoFar && Weights.Directional > 0;
        bool? identical = null;
        Tensor? total = null;
        var terms = new Dictionary<string, Tensor>();
        for (var i = 0; i < ensemble.Members.Count; i++)
        {
            var member = ensemble.Members[i];
            if (member.Weight == 0) continue;
            var device = member.Model.LogitScale.device;
            var frozen = frozenImages.to(device);
            var trainable = trainableImages.to(device);
            Tensor Encode(Tensor images) => member.Model.EncodeImage(member.Preprocessor.Forward(images));
            // One encoder call per image set, as the reference makes them (at the first step's 1e-6 shift the
            // edit direction is as small as rounding differences between batch layouts).
            Tensor frozenFeatures;
            using (no_grad())
                frozenFeatures = Encode(frozen);                                 // [N, D], no graph
            var trainableFeatures = Encode(trainable);                           // [N, D]
            Tensor? directional = null;
            if (checkIdentical && (identical ??= Identical(frozen, trainable)))
                directional = Encode(trainable + IdenticalImagesShift(member.Model.Dtype));   // the reference's fallback
            var inputs = new ClipLossInputs
            {
                Model = member.Model,
                Preprocessor = member.Preprocessor,
                FrozenImages = frozen,
                TrainableImages = trainable,
                FrozenFeatures = frozenFeatures,
                TrainableFeatures = trainableFeatures,
                DirectionalTrainableFeatures = directional,
            };
            foreach (var loss in losses[i])
            {
                var term = member.Weight * loss.Weight * loss.Forward(inputs);
                terms[loss.Name] = terms.TryGetValue(loss.Name, out var acc) ? acc + term.to(acc.device) : term;
                total = total is null ? term : total + term.to(total.device);
            }
        }
        identicalSoFar = identical ?? false;
        var outTerms = terms.ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope());
        return new ClipLossResult(total!.MoveToOuterDisposeScope(), outTerms);
    }

    /// <summary>
    /// The shift added to identical trainable images so the edit direction is defined: the reference's 1e-6 for a
    /// float32 (or wider) CLIP; for a bfloat16 or float16 CLIP, which would round 1e-6 away, two spacings of the dtype at 1
    /// (2^-6 and 2^-9).
    /// </summary>
    public static double IdenticalImagesShift(ScalarType clipDtype) => clipDtype switch
    {
        ScalarType.BFloat16 => Math.Pow(2, -6),
        ScalarType.Float16 => Math.Pow(2, -9),
        _ => 1e-6,
    };

    /// <summary>
    /// Whether both generators rendered exactly the same images, i.e. the reference's edit direction would be
    /// exactly zero (it encodes them in separate calls). Compared on the images, since one batched encoder call
    /// need not give bit-identical rows. Synchronises.
    /// </summary>
    private static bool Identical(Tensor frozen, Tensor trainable)
    {
        using var scope = NewDisposeScope();
        return !frozen.ne(trainable.detach()).any().item<bool>();
    }

    private static List<IClipLoss> Build(ClipModel model, ClipLossWeights w, string source, string target, ClipLossOptions o)
    {
        var list = new List<IClipLoss>();
        if (w.Global > 0) list.Add(new GlobalClipLoss(model, $"a {target.Trim()}", w.Global));
        if (w.PatchDirectional > 0) list.Add(new PatchDirectionalLoss(model, source, target, w.PatchDirectional, o.PatchSize, o.Seed));
        if (w.Directional > 0) list.Add(Directional(model, w.Directional, source, target, o));
        if (w.Manifold > 0) list.Add(new ManifoldAngleLoss(model, source, target, w.Manifold));
        if (w.Texture > 0) list.Add(new TextureLoss(model, o.StyleImages!, w.Texture));
        if (w.InDomainAngle > 0) list.Add(new InDomainAngleLoss(w.InDomainAngle));
        return list;
    }

    private static DirectionalClipLoss Directional(ClipModel model, float weight, string source, string target, ClipLossOptions o)
    {
        if (o.TargetImages is null) return new DirectionalClipLoss(new TextDirection(model, source, target), weight);
        using var scope = NewDisposeScope();
        var device = model.LogitScale.device;
        var image = ImageDirection.Compute(model, o.TargetImages.to(device), o.SourceImages!.to(device));
        if (string.IsNullOrWhiteSpace(target)) return new DirectionalClipLoss(image, weight);
        var text = TextDirection.Compute(model, source, target, PromptTemplates.ImageNet);
        return new DirectionalClipLoss(ImageDirection.Mix(text, image, o.ImageDirectionWeight), weight);
    }

    private static void Validate(ClipLossWeights w, string source, string target, ClipLossOptions o)
    {
        float[] all = [w.Directional, w.Global, w.PatchDirectional, w.Manifold, w.Texture, w.InDomainAngle];
        if (all.Any(x => x < 0 || !float.IsFinite(x))) throw new ArgumentException($"CLIP loss weights must be finite and non-negative: {w}.");
        if (all.All(x => x == 0)) throw new ArgumentException("Every CLIP loss weight is 0; enable at least one loss (e.g. Directional = 1).");
        var imageGuided = o.TargetImages is not null;
        if (imageGuided && o.SourceImages is null)
            throw new ArgumentException("An image-guided direction needs images of the source generator (SourceImages) beside the target images.");
        var needsTexts = w.Global > 0 || w.PatchDirectional > 0 || w.Manifold > 0 || (w.Directional > 0 && !imageGuided);
        if (needsTexts) TextDirection.ValidateTexts(source, target);
        else if (w.Directional > 0 && !string.IsNullOrWhiteSpace(target)) TextDirection.ValidateTexts(source, target);
        if (w.Texture > 0 && o.StyleImages is null)
            throw new ArgumentException("The texture loss has a positive weight but no style image was given.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var list in losses)
            foreach (var l in list) l.Dispose();
    }
}
