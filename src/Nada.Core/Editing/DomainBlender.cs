using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>
/// Renders a blend of a source generator and adapted domain generators of the same architecture:
/// weights (1 - alpha) * source + alpha * adapted (alpha 0 = source, 1 = the adapted generator exactly).
/// Both weight sets stay where they are (on the device); the blend is written into one third generator with
/// in-place copies under no_grad, so changing alpha or the domain re-renders without allocating a generator.
/// </summary>
public sealed class DomainBlender : IDisposable
{
    private readonly StyleGenerator source;
    private readonly StyleGenerator blended;
    private readonly Dictionary<string, Tensor> sourceState;
    private readonly Dictionary<string, Tensor> blendedState;
    private StyleGenerator? lastChecked;

    /// <param name="source">The source generator (not owned).</param>
    public DomainBlender(StyleGenerator source)
    {
        this.source = source;
        blended = source.Clone();
        foreach (var p in blended.parameters()) p.requires_grad = false;
        sourceState = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        blendedState = blended.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>The generator holding the current blend (owned by the blender; valid until the next <see cref="Blend"/>).</summary>
    public StyleGenerator Blended => blended;

    /// <summary>Writes (1 - alpha) * source + alpha * adapted into <see cref="Blended"/> and returns it.</summary>
    /// <exception cref="ArgumentException">Alpha is not finite, or the generators differ in architecture.</exception>
    public StyleGenerator Blend(StyleGenerator adapted, float alpha)
    {
        if (!float.IsFinite(alpha)) throw new ArgumentException($"Alpha must be a number (0 = source, 1 = domain), got {alpha}.");
        if (!ReferenceEquals(adapted, lastChecked))
        {
            CheckCompatible(source, adapted);
            lastChecked = adapted;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, a) in adapted.state_dict())
        {
            var dst = blendedState[name];
            dst.copy_(sourceState[name]);
            if (dst.is_floating_point()) dst.lerp_(a.to(dst.device), alpha);   // exact at 0 (source) and 1 (adapted)
        }
        return blended;
    }

    /// <summary>Renders W+ [N, NumWs, WDim] with the blend of source and <paramref name="adapted"/> at <paramref name="alpha"/>.</summary>
    public Tensor Render(StyleGenerator adapted, float alpha, Tensor wPlus, NoiseMode noise = NoiseMode.Const)
    {
        Blend(adapted, alpha);
        using var noGrad = no_grad();
        return blended.Synthesis(wPlus.to(ScalarType.Float32, blended.LatentAvg.device), noise);
    }

    /// <summary>
    /// One latent through the source and every domain side by side: images [1 + D, C, H, W], the source first,
    /// then each domain blended at <paramref name="alpha"/>. <paramref name="wPlus"/> is [1, NumWs, WDim].
    /// </summary>
    public Tensor RenderSideBySide(IReadOnlyList<StyleGenerator> domains, float alpha, Tensor wPlus, NoiseMode noise = NoiseMode.Const)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = wPlus.to(ScalarType.Float32, source.LatentAvg.device);
        var images = new List<Tensor> { source.Synthesis(w, noise) };
        foreach (var d in domains) images.Add(Render(d, alpha, w, noise));
        return cat(images, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Throws when <paramref name="adapted"/> cannot be blended with <paramref name="source"/> (other architecture or tensors).</summary>
    public static void CheckCompatible(StyleGenerator source, StyleGenerator adapted)
    {
        if (source.Config.ToJson() != adapted.Config.ToJson())
            throw new ArgumentException(
                $"The domain generator has another architecture than the source ({adapted.Config.ImgResolution} px, W {adapted.Config.WDim} vs {source.Config.ImgResolution} px, W {source.Config.WDim}); blend a domain adapted from this source.");
        var a = adapted.state_dict();
        foreach (var (name, t) in source.state_dict())
            if (!a.TryGetValue(name, out var other) || !other.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"The domain generator's tensor '{name}' does not match the source's; blend a domain adapted from this source.");
    }

    /// <inheritdoc/>
    public void Dispose() => blended.Dispose();
}
