using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// StyleGAN2's modulated convolution as one grouped convolution: every sample of the batch gets its own
/// weights <c>w[n] = weight * style[n]</c> (scaling input channels), optionally demodulated to unit
/// output norm; 2x up-sampling is a stride-2 transposed convolution followed by the FIR filter.
/// The per-sample weights and demodulation coefficients are computed in the weight's dtype (float32 master weights)
/// and cast to the activations' dtype for the convolution, as NVIDIA's half-precision layers do; the output has the
/// input's dtype. Intermediates are released before returning (see the engine README's dispose-scope rule).
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

        using var scope = NewDisposeScope();
        var w = weight.unsqueeze(0) * styles.to(weight.dtype).reshape(n, 1, inC, 1, 1); // [N, O, I, k, k]
        if (demodulate)
        {
            var d = (w.square().sum([2, 3, 4]) + DemodulationEpsilon).rsqrt(); // [N, O]
            w = w * d.reshape(n, outC, 1, 1, 1);
        }
        var xg = x.reshape(1, n * inC, h, wd); // [1, N*I, H, W]

        if (upFilter is null)
        {
            var wg = w.reshape(n * outC, inC, k, k).to(x.dtype); // [N*O, I, k, k]
            scope.Keep(xg, wg);                   // the per-sample weight's intermediates
            var y = CpuConv.Conv2d(xg, wg, padding: [k / 2, k / 2], groups: n);
            return y.reshape(n, outC, h, wd).MoveToOuterDisposeScope();
        }

        // Transposed conv wants [in, out/groups, k, k] per group: [N*I, O, k, k].
        var wt = w.transpose(1, 2).reshape(n * inC, outC, k, k).to(x.dtype);
        scope.Keep(xg, wt);
        var yt = CpuConv.ConvTranspose2d(xg, wt, strides: [2, 2], groups: n); // [1, N*O, 2H+k-2, 2W+k-2]
        yt = scope.Keep(yt.reshape(n, outC, yt.shape[2], yt.shape[3]));
        // Blur: the filter (gain 4 for the zero-inserted energy) with padding that brings the size to 2H.
        int taps = (int)upFilter.shape[0];
        int p = (taps - 2) - ((int)k - 1);
        int pad0 = (p + 1) / 2 + 1, pad1 = p / 2 + 1;
        return UpFirDn2d.Reference(yt, upFilter, padding: Padding2d.Symmetric(pad0, pad1), gain: upFilterGain).MoveToOuterDisposeScope();
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
        using var scope = NewDisposeScope();
        var xs = x * styles.to(x.dtype).reshape(n, inC, 1, 1);                     // [N, I, H, W]
        var wx = weight.to(x.dtype);
        Tensor y;
        if (upFilter is null)
        {
            y = scope.Keep(CpuConv.Conv2d(xs, wx, padding: [k / 2, k / 2]));  // [N, O, H, W]
        }
        else
        {
            var yt = scope.Keep(CpuConv.ConvTranspose2d(xs, wx.transpose(0, 1), strides: [2, 2])); // [N, O, 2H+k-2, 2W+k-2]
            int taps = (int)upFilter.shape[0];
            int p = (taps - 2) - ((int)k - 1);
            y = scope.Keep(UpFirDn2d.Reference(yt, upFilter, padding: Padding2d.Symmetric((p + 1) / 2 + 1, p / 2 + 1), gain: upFilterGain));
        }
        if (!demodulate) return y.MoveToOuterDisposeScope();
        var w = weight.unsqueeze(0) * styles.to(weight.dtype).reshape(n, 1, inC, 1, 1);   // [N, O, I, k, k]
        var d = (w.square().sum([2, 3, 4]) + DemodulationEpsilon).rsqrt();         // [N, O]
        return (y * d.reshape(n, outC, 1, 1).to(y.dtype)).MoveToOuterDisposeScope();
    }
}
