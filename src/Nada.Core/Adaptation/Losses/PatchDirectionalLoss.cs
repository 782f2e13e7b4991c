using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// StyleGAN-NADA's patch-directional loss: one random square patch per image (the same place in the frozen
/// and trainable image) is encoded; its edit direction is compared with 15 part-level text directions
/// (the part templates, e.g. "the nose of a {}", each averaged over the ImageNet templates):
/// mean over patches and parts of (1 - cos(edit, dir_p)) * softmax_p(edit · dir_p).
/// </summary>
public sealed class PatchDirectionalLoss : IClipLoss
{
    /// <summary>The reference's patch side (510 px) relative to its 1024 px images.</summary>
    public const double DefaultPatchFraction = 510.0 / 1024.0;

    private readonly ClipModel model;
    private readonly string source;
    private readonly string target;
    private readonly int? patchSize;
    private readonly Random random;
    private Tensor? partDirections;

    /// <inheritdoc/>
    public string Name => "patch";
    /// <inheritdoc/>
    public float Weight { get; }

    /// <param name="model">The CLIP model.</param>
    /// <param name="source">Source domain text.</param>
    /// <param name="target">Target domain text.</param>
    /// <param name="weight">Weight of the term.</param>
    /// <param name="patchSize">Patch side in pixels; when null, <see cref="DefaultPatchFraction"/> of the shorter image side.</param>
    /// <param name="seed">Seed of the patch positions.</param>
    public PatchDirectionalLoss(ClipModel model, string source, string target, float weight = 1f, int? patchSize = null, int seed = 0)
    {
        TextDirection.ValidateTexts(source, target);
        if (patchSize is < 2) throw new ArgumentOutOfRangeException(nameof(patchSize), "Patches are at least 2 pixels wide.");
        this.model = model;
        this.source = source;
        this.target = target;
        this.patchSize = patchSize;
        random = new Random(seed);
        Weight = weight;
    }

    /// <summary>The 15 part directions [15, D] (computed on first use).</summary>
    public Tensor PartDirections => partDirections ??= ComputePartDirections().DetachFromDisposeScope();

    /// <inheritdoc/>
    public Tensor Forward(ClipLossInputs inputs)
    {
        var directions = PartDirections;
        using var scope = NewDisposeScope();
        var (n, h, w) = (inputs.FrozenImages.shape[0], inputs.FrozenImages.shape[2], inputs.FrozenImages.shape[3]);
        var size = patchSize ?? Math.Max(2, (int)Math.Round(Math.Min(h, w) * DefaultPatchFraction));
        var half = size / 2;
        if (2 * half >= Math.Min(h, w)) throw new ArgumentException($"Patch size {size} does not fit in {h}x{w} images.");
        var frozen = new List<Tensor>();
        var trainable = new List<Tensor>();
        for (var b = 0; b < n; b++)
        {
            var cx = random.Next(half, (int)w - half);                          // like numpy's randint(half, W - half)
            var cy = random.Next(half, (int)h - half);
            frozen.Add(Patch(inputs.FrozenImages, b, cy - half, cx - half, 2 * half));
            trainable.Add(Patch(inputs.TrainableImages, b, cy - half, cx - half, 2 * half));
        }
        var patches = cat([.. frozen, .. trainable], 0);                         // [2N, 3, P, P]
        var features = inputs.Model.EncodeImage(inputs.Preprocessor.Forward(patches));   // [2N, D]
        var parts = features.split([n, n], 0);
        var edit = ClipLossMath.Normalize(ClipLossMath.Normalize(parts[1]) - ClipLossMath.Normalize(parts[0]));   // [N, D]
        var dirs = directions.to(edit.dtype);                                   // [P, D]
        var cos = nn.functional.cosine_similarity(edit.unsqueeze(1), dirs.unsqueeze(0), 2);  // [N, P]
        var scores = (1 - cos) * matmul(edit, dirs.t()).softmax(-1);
        return scores.mean().MoveToOuterDisposeScope();
    }

    private static Tensor Patch(Tensor images, long b, long top, long left, long size) =>
        images.narrow(0, b, 1).narrow(2, top, size).narrow(3, left, size);     // [1, 3, P, P]

    private Tensor ComputePartDirections()
    {
        using var scope = NewDisposeScope();
        var rows = PromptTemplates.Part
            .Select(p => TextDirection.Compute(model, PromptTemplates.Fill([p], source)[0], PromptTemplates.Fill([p], target)[0], PromptTemplates.ImageNet))
            .ToArray();
        return cat(rows, 0).MoveToOuterDisposeScope();                          // [15, D]
    }

    /// <inheritdoc/>
    public void Dispose() => partDirections?.Dispose();
}
