using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// Padding of an <see cref="UpFirDn2d"/> call, in pixels of the up-sampled image.
/// Negative values crop.
/// </summary>
/// <param name="X0">Left.</param>
/// <param name="X1">Right.</param>
/// <param name="Y0">Top.</param>
/// <param name="Y1">Bottom.</param>
public readonly record struct Padding2d(int X0, int X1, int Y0, int Y1)
{
    /// <summary>The same padding on all four sides.</summary>
    public static Padding2d All(int p) => new(p, p, p, p);

    /// <summary>Before = left and top, after = right and bottom.</summary>
    public static Padding2d Symmetric(int before, int after) => new(before, after, before, after);
}

/// <summary>
/// Up-sample, FIR-filter, down-sample of a batch of images, the resampling primitive of StyleGAN2:
/// <list type="number">
/// <item>up-sample by inserting <c>up - 1</c> zeros after every pixel (rows and columns);</item>
/// <item>pad with zeros (or crop, for negative padding);</item>
/// <item>convolve every channel with the 2-D filter <c>f</c> times <c>gain</c> (a true convolution,
///   i.e. the filter is flipped, unless <c>flipFilter</c>); the output shrinks by <c>taps - 1</c>;</item>
/// <item>down-sample by keeping every <c>down</c>-th pixel.</item>
/// </list>
/// Output size per axis: <c>(in * up + pad0 + pad1 - (taps - 1) + down - 1) / down</c>.
/// A 1-D filter [taps] is separable (NVIDIA's convention): it runs along the width, then along the height, each
/// pass with the square root of the gain. This is the plain reference; <see cref="Upsample2d"/> and
/// <see cref="Filter2d"/> are the usual special cases.
/// </summary>
public static class UpFirDn2d
{
    /// <summary>Reference implementation (differentiable, any dtype/device).</summary>
    /// <param name="x">Images [N, C, H, W].</param>
    /// <param name="f">Filter [fh, fw] (from <see cref="FirFilter.Setup"/>), or [taps] for a separable one.</param>
    /// <param name="up">Up-sampling factor (1 = none).</param>
    /// <param name="down">Down-sampling factor (1 = none).</param>
    /// <param name="padding">Padding after up-sampling.</param>
    /// <param name="flipFilter">False (default): convolution; true: correlation.</param>
    /// <param name="gain">Multiplies the filter.</param>
    public static Tensor Reference(Tensor x, Tensor f, int up = 1, int down = 1, Padding2d padding = default,
        bool flipFilter = false, float gain = 1f)
    {
        if (x.dim() != 4) throw new ArgumentException($"upfirdn2d expects [N, C, H, W], got [{string.Join(", ", x.shape)}].");
        if (f.dim() != 1 && f.dim() != 2) throw new ArgumentException("upfirdn2d expects a 1-D (separable) or 2-D filter.");
        if (up < 1 || down < 1) throw new ArgumentException("Up/down factors must be >= 1.");
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        // Every step keeps only its result alive (the input x belongs to the caller and is never disposed).
        using var scope = NewDisposeScope();
        var y = x;

        // 1. Zero insertion: [N, C, H, 1, W, 1] padded to [N, C, H, up, W, up].
        if (up > 1)
        {
            y = nn.functional.pad(y.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]);
            y = scope.Keep(y.reshape(n, c, h * up, w * up)); // [N, C, H*up, W*up]
        }

        // 2. Pad (positive) then crop (negative).
        var (px0, px1, py0, py1) = (padding.X0, padding.X1, padding.Y0, padding.Y1);
        if (px0 > 0 || px1 > 0 || py0 > 0 || py1 > 0)
            y = scope.Keep(nn.functional.pad(y, [Math.Max(px0, 0), Math.Max(px1, 0), Math.Max(py0, 0), Math.Max(py1, 0)]));
        if (px0 < 0 || px1 < 0 || py0 < 0 || py1 < 0)
        {
            long hh = y.shape[2], ww = y.shape[3];
            y = y.narrow(2, Math.Max(-py0, 0), hh - Math.Max(-py0, 0) - Math.Max(-py1, 0));
            y = scope.Keep(y.narrow(3, Math.Max(-px0, 0), ww - Math.Max(-px0, 0) - Math.Max(-px1, 0)));
        }

        // 3. Depthwise convolution with the (flipped) filter; a separable one along W, then along H.
        if (f.dim() == 1)
        {
            var fs = f.to(y.dtype, y.device) * MathF.Sqrt(gain);
            if (!flipFilter) fs = fs.flip(0);
            long taps = fs.shape[0];
            y = CpuConv.Conv2d(y, fs.reshape(1, 1, 1, taps).repeat(c, 1, 1, 1), groups: c);   // [C, 1, 1, taps]
            scope.Keep(y, fs); // the filter is read again by the second pass
            y = scope.Keep(CpuConv.Conv2d(y, fs.reshape(1, 1, taps, 1).repeat(c, 1, 1, 1), groups: c));   // [C, 1, taps, 1]
        }
        else
        {
            var fk = f.to(y.dtype, y.device) * gain;
            if (!flipFilter) fk = fk.flip(0, 1);
            var weight = fk.unsqueeze(0).unsqueeze(0).repeat(c, 1, 1, 1); // [C, 1, fh, fw]
            y = scope.Keep(CpuConv.Conv2d(y, weight, groups: c));
        }

        // 4. Decimation.
        if (down > 1)
            y = y.slice(2, 0, y.shape[2], down).slice(3, 0, y.shape[3], down);
        return ReferenceEquals(y, x) ? x.alias().MoveToOuterDisposeScope() : y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Up-samples by <paramref name="factor"/> with the filter, padding so that the output is exactly
    /// factor times the input (StyleGAN2's skip-connection up-sampling). Gain factor^2 keeps the mean.
    /// </summary>
    public static Tensor Upsample2d(Tensor x, Tensor f, int factor = 2)
    {
        int taps = (int)f.shape[0];
        int p0 = (taps + factor - 1) / 2, p1 = (taps - factor) / 2;
        return Reference(x, f, up: factor, padding: Symmetric(p0, p1), gain: factor * factor);
    }

    /// <summary>
    /// Fast equivalent of <see cref="Upsample2d"/>: a depthwise transposed convolution
    /// with stride <paramref name="factor"/> (no zero-filled intermediate), cropped to the same window.
    /// </summary>
    public static Tensor Upsample2dTransposed(Tensor x, Tensor f, int factor = 2)
    {
        long c = x.shape[1];
        int taps = (int)f.shape[0];
        int p0 = (taps + factor - 1) / 2, p1 = (taps - factor) / 2;
        // Transposed conv: output index o = i*factor + k, i.e. zero insertion followed by a full
        // correlation with the flipped kernel; the reference window starts taps-1-p0 pixels in.
        using var scope = NewDisposeScope();
        var weight = (f.to(x.dtype, x.device) * (factor * factor)).unsqueeze(0).unsqueeze(0).repeat(c, 1, 1, 1); // [C, 1, fh, fw]
        var full = CpuConv.ConvTranspose2d(x, weight, strides: [factor, factor], groups: c);
        long outH = x.shape[2] * factor + p0 + p1 - (taps - 1);
        long outW = x.shape[3] * factor + p0 + p1 - (taps - 1);
        long start = taps - 1 - p0;
        return full.narrow(2, start, outH).narrow(3, start, outW).MoveToOuterDisposeScope();
    }

    /// <summary>Filters without resampling, padding so the size is kept (odd taps) or grows by one.</summary>
    public static Tensor Filter2d(Tensor x, Tensor f, Padding2d padding, float gain = 1f)
        => Reference(x, f, padding: padding, gain: gain);

    private static Padding2d Symmetric(int p0, int p1) => Padding2d.Symmetric(p0, p1);
}
