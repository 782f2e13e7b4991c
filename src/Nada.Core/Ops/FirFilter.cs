using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// FIR filters for resampling: a 1-D tap list turned into the normalised 2-D filter that
/// <see cref="UpFirDn2d"/> applies (StyleGAN2 uses [1, 3, 3, 1]).
/// </summary>
public static class FirFilter
{
    /// <summary>The binomial filter StyleGAN2 uses for every up-sampling step.</summary>
    public static readonly float[] StyleGan2Taps = [1f, 3f, 3f, 1f];

    /// <summary>
    /// The 2-D filter for the given taps: the outer product of the taps with themselves, normalised to
    /// sum to 1 (when <paramref name="normalize"/>) and multiplied by <paramref name="gain"/>.
    /// Up-sampling by a factor u keeps the signal's mean when the gain is u*u.
    /// </summary>
    /// <returns>A float32 CPU tensor [taps, taps].</returns>
    public static Tensor Setup(IReadOnlyList<float> taps, bool normalize = true, float gain = 1f)
    {
        if (taps.Count == 0) throw new ArgumentException("A FIR filter needs at least one tap.", nameof(taps));
        using var scope = NewDisposeScope();
        var k = tensor(taps.ToArray(), dtype: ScalarType.Float32);
        var f = k.unsqueeze(1) * k.unsqueeze(0); // [taps, taps]
        if (normalize) f = f / f.sum();
        f = f * gain;
        return f.contiguous().MoveToOuterDisposeScope();
    }
}
