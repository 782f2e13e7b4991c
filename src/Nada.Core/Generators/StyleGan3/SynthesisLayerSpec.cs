using Nada.Core.Ops;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// One synthesis layer of StyleGAN3 as NVIDIA's <c>SynthesisNetwork</c> and <c>SynthesisLayer</c> constructors derive
/// it: sampling rates (s), cutoffs (f_c), transition half-widths (f_h), sizes with margins, channels, the
/// resampling factors and filter lengths, and the padding that puts output samples where the symmetric
/// interpretation wants them (paper, appendix C.3).
/// </summary>
/// <param name="Index">Position: 0 .. NumLayers (the last is ToRGB).</param>
/// <param name="IsToRgb">The final layer: 1x1 conv to image channels, no demodulation, no activation.</param>
/// <param name="IsCriticallySampled">One of the last NumCritical layers (cutoff at Nyquist; never radial).</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="InSize">Input pixels per side (margins included).</param>
/// <param name="OutSize">Output pixels per side.</param>
/// <param name="InSamplingRate">Input sampling rate.</param>
/// <param name="OutSamplingRate">Output sampling rate.</param>
/// <param name="TmpSamplingRate">Rate at which the activation runs.</param>
/// <param name="InCutoff">Input cutoff frequency.</param>
/// <param name="OutCutoff">Output cutoff frequency.</param>
/// <param name="InHalfWidth">Input transition band half-width.</param>
/// <param name="OutHalfWidth">Output transition band half-width.</param>
/// <param name="ConvKernel">Kernel size of this layer's convolution.</param>
/// <param name="UpFactor">Up-sampling factor before the activation.</param>
/// <param name="UpTaps">Taps of the up-sampling filter (1 = none).</param>
/// <param name="DownFactor">Down-sampling factor after the activation.</param>
/// <param name="DownTaps">Taps of the down-sampling filter (1 = none).</param>
/// <param name="DownRadial">The down-sampling filter is radial (2-D jinc) rather than separable (Kaiser).</param>
/// <param name="Padding">Padding of the up-sampled image (negative crops).</param>
public sealed record SynthesisLayerSpec(
    int Index,
    bool IsToRgb,
    bool IsCriticallySampled,
    int InChannels,
    int OutChannels,
    int InSize,
    int OutSize,
    int InSamplingRate,
    int OutSamplingRate,
    int TmpSamplingRate,
    double InCutoff,
    double OutCutoff,
    double InHalfWidth,
    double OutHalfWidth,
    int ConvKernel,
    int UpFactor,
    int UpTaps,
    int DownFactor,
    int DownTaps,
    bool DownRadial,
    Padding2d Padding)
{
    /// <summary>NVIDIA's module name, <c>L{index}_{out size}_{out channels}</c> (also our state-dict name).</summary>
    public string Name => $"L{Index}_{OutSize}_{OutChannels}";

    /// <summary>Every layer of <paramref name="c"/>, in NVIDIA's arithmetic (float64, numpy's rounding).</summary>
    internal static IReadOnlyList<SynthesisLayerSpec> Derive(StyleGan3Config c)
    {
        int n = c.NumLayers;
        var cutoffs = new double[n + 1];
        var stopbands = new double[n + 1];
        var rates = new double[n + 1];
        var halfWidths = new double[n + 1];
        var sizes = new double[n + 1];
        var channels = new double[n + 1];
        double lastCutoff = c.ImgResolution / 2.0;                          // f_c,N
        double lastStopband = lastCutoff * c.LastStopbandRel;               // f_t,N
        for (int i = 0; i <= n; i++)
        {
            double e = Math.Min((double)i / (n - c.NumCritical), 1.0);
            cutoffs[i] = c.FirstCutoff * Math.Pow(lastCutoff / c.FirstCutoff, e);
            stopbands[i] = c.FirstStopband * Math.Pow(lastStopband / c.FirstStopband, e);
            rates[i] = Math.Pow(2, Math.Ceiling(Math.Log2(Math.Min(stopbands[i] * 2, c.ImgResolution))));
            halfWidths[i] = Math.Max(stopbands[i], rates[i] / 2) - cutoffs[i];
            sizes[i] = rates[i] + c.MarginSize * 2;
            channels[i] = Math.Round(Math.Min(c.ChannelBase / 2 / cutoffs[i], c.ChannelMax), MidpointRounding.ToEven);
        }
        sizes[n] = sizes[n - 1] = c.ImgResolution;
        channels[n] = c.ImgChannels;

        var layers = new List<SynthesisLayerSpec>(n + 1);
        for (int idx = 0; idx <= n; idx++)
        {
            int prev = Math.Max(idx - 1, 0);
            bool toRgb = idx == n;
            bool critical = idx >= n - c.NumCritical;
            int inRate = (int)rates[prev], outRate = (int)rates[idx];
            int inSize = (int)sizes[prev], outSize = (int)sizes[idx];
            int tmpRate = Math.Max(inRate, outRate) * (toRgb ? 1 : c.LreluUpsampling);
            int kernel = toRgb ? 1 : c.ConvKernel;
            int up = (int)Math.Round((double)tmpRate / inRate, MidpointRounding.ToEven);
            int down = (int)Math.Round((double)tmpRate / outRate, MidpointRounding.ToEven);
            if (inRate * up != tmpRate || outRate * down != tmpRate)
                throw new InvalidDataException($"StyleGAN3 layer {idx}: sampling rates {inRate} -> {tmpRate} -> {outRate} are not integer multiples.");
            int upTaps = up > 1 && !toRgb ? c.FilterSize * up : 1;
            int downTaps = down > 1 && !toRgb ? c.FilterSize * down : 1;
            // Desired output size before down-sampling, minus the up-sampled input, plus what the filters take away.
            int padTotal = (outSize - 1) * down + 1 - (inSize + kernel - 1) * up + upTaps + downTaps - 2;
            int padLo = FloorDiv(padTotal + up, 2);
            int padHi = padTotal - padLo;
            if ((int)channels[prev] < 1 || (int)channels[idx] < 1)
                throw new InvalidDataException($"StyleGAN3 layer {idx} would have no channels; raise ChannelBase or ChannelMax.");
            layers.Add(new SynthesisLayerSpec(idx, toRgb, critical, (int)channels[prev], (int)channels[idx], inSize, outSize,
                inRate, outRate, tmpRate, cutoffs[prev], cutoffs[idx], halfWidths[prev], halfWidths[idx], kernel,
                up, upTaps, down, downTaps, c.UseRadialFilters && !critical, new Padding2d(padLo, padHi, padLo, padHi)));
        }
        return layers;
    }

    /// <summary>Python's floor division (the padding can be negative).</summary>
    private static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);
}
