using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// StyleGAN2's modulated convolution as one grouped convolution: every sample of the batch gets its own
/// weights <c>w[n] = weight * style[n]</c> (scaling input channels), optionally demodulated to unit
/// output norm; 2x up-sampling is a stride-2 transposed convolution followed by the FIR filter.
/// </summary>
public static class ModulatedConv
{
    /// <summary>Added to the squared norm before demodulation.</summary>
    public const float DemodulationEpsilon = 1e-8f;

    /// <summary>Runs the modulated convolution.</summary>
    /// <param name="x">Input [N, I, H, W].</param>
    /// <param name="weight">Weights [O, I, k, k], already multiplied by any equalised-lr scale.</param>
    /// <param name="styles">Per-sample input-channel scales [N, I].</param>
    /// <param name="demodulate">Normalise every sample's output filters to unit L2 norm.</param>
    /// <param name="upFilter">When not null, up-sample by 2 using this 2-D FIR filter (normalised to sum 1).</param>
    /// <param name="upFilterGain">Multiplies <paramref name="upFilter"/>: 4 restores the energy of 2x zero insertion;
    /// pass 1 when the filter already carries it.</param>
    /// <returns>[N, O, H, W], or [N, O, 2H, 2W] when up-sampling.</returns>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor styles, bool demodulate, Tensor? upFilter = null,
        float upFilterGain = 4f)
    {
        long n = x.shape[0], inC = x.shape[1], h = x.shape[2], wd = x.shape[3];
        long outC = weight.shape[0], k = weight.shape[2];
        if (weight.shape[1] != inC)
            throw new ArgumentException($"Modulated conv: input has {inC} channels, weight expects {weight.shape[1]}.");

        var w = weight.unsqueeze(0) * styles.reshape(n, 1, inC, 1, 1); // [N, O, I, k, k]
        if (demodulate)
        {
            var d = (w.square().sum([2, 3, 4]) + DemodulationEpsilon).rsqrt(); // [N, O]
            w = w * d.reshape(n, outC, 1, 1, 1);
        }
        var xg = x.reshape(1, n * inC, h, wd); // [1, N*I, H, W]

        if (upFilter is null)
        {
            var wg = w.reshape(n * outC, inC, k, k); // [N*O, I, k, k]
            var y = nn.functional.conv2d(xg, wg, padding: [k / 2, k / 2], groups: n);
            return y.reshape(n, outC, h, wd);
        }

        // Transposed conv wants [in, out/groups, k, k] per group: [N*I, O, k, k].
        var wt = w.transpose(1, 2).reshape(n * inC, outC, k, k);
        var yt = nn.functional.conv_transpose2d(xg, wt, strides: [2, 2], groups: n); // [1, N*O, 2H+k-2, 2W+k-2]
        yt = yt.reshape(n, outC, yt.shape[2], yt.shape[3]);
        // Blur: the filter (gain 4 for the zero-inserted energy) with padding that brings the size to 2H.
        int taps = (int)upFilter.shape[0];
        int p = (taps - 2) - ((int)k - 1);
        int pad0 = (p + 1) / 2 + 1, pad1 = p / 2 + 1;
        return UpFirDn2d.Reference(yt, upFilter, padding: Padding2d.Symmetric(pad0, pad1), gain: upFilterGain);
    }

    /// <summary>
    /// The same result as <see cref="Forward"/> without per-sample weights: scale the input channels by the
    /// styles, run one ordinary convolution with the shared weight over the whole batch, then scale the output
    /// channels by the demodulation coefficients (NVIDIA's <c>fused_modconv=False</c> path, which NVIDIA uses for
    /// training: its backward pass avoids grouped convolutions; on this CPU both timed within noise).
    /// </summary>
    public static Tensor ForwardNonFused(Tensor x, Tensor weight, Tensor styles, bool demodulate, Tensor? upFilter = null,
        float upFilterGain = 4f)
    {
        long n = x.shape[0], inC = x.shape[1];
        long outC = weight.shape[0], k = weight.shape[2];
        if (weight.shape[1] != inC)
            throw new ArgumentException($"Modulated conv: input has {inC} channels, weight expects {weight.shape[1]}.");
        var xs = x * styles.reshape(n, inC, 1, 1);                                  // [N, I, H, W]
        Tensor y;
        if (upFilter is null)
        {
            y = nn.functional.conv2d(xs, weight, padding: [k / 2, k / 2]);           // [N, O, H, W]
        }
        else
        {
            var yt = nn.functional.conv_transpose2d(xs, weight.transpose(0, 1), strides: [2, 2]); // [N, O, 2H+k-2, 2W+k-2]
            int taps = (int)upFilter.shape[0];
            int p = (taps - 2) - ((int)k - 1);
            y = UpFirDn2d.Reference(yt, upFilter, padding: Padding2d.Symmetric((p + 1) / 2 + 1, p / 2 + 1), gain: upFilterGain);
        }
        if (!demodulate) return y;
        var w = weight.unsqueeze(0) * styles.reshape(n, 1, inC, 1, 1);             // [N, O, I, k, k]
        var d = (w.square().sum([2, 3, 4]) + DemodulationEpsilon).rsqrt();         // [N, O]
        return y * d.reshape(n, outC, 1, 1);
    }
}
