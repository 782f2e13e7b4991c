using System.Globalization;
using Nada.Core.Editing;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>A compact domain file with its strength in a mix.</summary>
/// <param name="File">The compact domain file.</param>
/// <param name="Alpha">Its strength: 0 = absent, 1 = as trained; negative and above 1 allowed within <see cref="DomainMix.MaxAbsAlpha"/>.</param>
public sealed record DomainWeight(string File, float Alpha = 1f)
{
    /// <summary>Parses <c>FILE</c> or <c>FILE:ALPHA</c> (the last colon followed by a number separates the strength).</summary>
    /// <exception cref="FormatException">The strength is not a finite number.</exception>
    public static DomainWeight Parse(string spec)
    {
        int colon = spec.LastIndexOf(':');
        if (colon > 0 && colon < spec.Length - 1)
        {
            var tail = spec[(colon + 1)..];
            if (float.TryParse(tail, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha))
            {
                if (!float.IsFinite(alpha)) throw new FormatException($"The strength of '{spec[..colon]}' must be a number, got '{tail}'.");
                return new DomainWeight(spec[..colon], alpha);
            }
        }
        return new DomainWeight(spec, 1f);
    }
}

/// <summary>
/// Renders mixes of compact domains: the offsets sum_i alpha_i d_i of any set of domains of one base generator
/// (alpha 0 renders without the domain, 1 as trained, two domains at 1 and 1 the sum of their offsets, all exactly).
/// </summary>
public static class DomainMix
{
    /// <summary>Largest |alpha| a mix accepts.</summary>
    public const float MaxAbsAlpha = 5f;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the domain unless |<paramref name="alpha"/>| &lt;= <see cref="MaxAbsAlpha"/>.</summary>
    public static void CheckAlpha(float alpha, string domainName)
    {
        if (!float.IsFinite(alpha) || Math.Abs(alpha) > MaxAbsAlpha)
            throw new ArgumentException($"The strength of '{domainName}' must be between -{MaxAbsAlpha} and {MaxAbsAlpha} (got {alpha.ToString(CultureInfo.InvariantCulture)}).");
    }

    /// <summary>
    /// sum_i alpha_i d_i per layer on <paramref name="device"/> (a layer no domain has is absent; an empty mix is empty),
    /// after checking every domain against <paramref name="generator"/> (<see cref="DomainMismatchException"/> names both)
    /// and every strength. The caller owns the tensors.
    /// </summary>
    public static Dictionary<string, Tensor> Combine(IReadOnlyList<(CompactDomain Domain, float Alpha)> parts, GeneratorIdentity generator, Device device)
    {
        foreach (var (domain, alpha) in parts)
        {
            domain.EnsureBelongsTo(generator);
            CheckAlpha(alpha, domain.Name);
        }
        var sum = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (domain, alpha) in parts)
        {
            foreach (var (name, d) in domain.Offsets)
            {
                if (!sum.TryGetValue(name, out var acc))
                    sum[name] = acc = zeros(d.shape, ScalarType.Float32, device).DetachFromDisposeScope();
                acc.add_(d.to(device), alpha);       // 0 + 1 * d is d, 0 + 0 * d is 0: exact at alpha 0 and 1
            }
        }
        return sum;
    }

    /// <summary>
    /// Sets the mix on <paramref name="target"/> until the returned lease is disposed (which removes every offset).
    /// <paramref name="identity"/> is <paramref name="target"/>'s identity (computed once by the caller, e.g. when loading it).
    /// </summary>
    public static StyleOffsetsLease Apply(StyleGenerator target, GeneratorIdentity identity, IReadOnlyList<(CompactDomain Domain, float Alpha)> parts)
    {
        foreach (var (domain, _) in parts)
        {
            domain.EnsureBelongsTo(identity);
            domain.EnsureFitsLayers(target);
        }
        var offsets = Combine(parts, identity, target.LatentAvg.device);
        try
        {
            target.SetStyleOffsets(offsets.Count == 0 ? null : offsets);
            return new StyleOffsetsLease(target, offsets);
        }
        catch
        {
            foreach (var t in offsets.Values) t.Dispose();
            throw;
        }
    }
}

/// <summary>Offsets set on a generator for a while: disposing removes them from the generator and frees them.</summary>
public sealed class StyleOffsetsLease(StyleGenerator generator, IReadOnlyDictionary<string, Tensor> offsets) : IDisposable
{
    /// <summary>The offsets in use.</summary>
    public IReadOnlyDictionary<string, Tensor> Offsets { get; } = offsets;

    /// <inheritdoc />
    public void Dispose()
    {
        generator.SetStyleOffsets(null);
        foreach (var t in Offsets.Values) t.Dispose();
    }
}
