using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// StyleGAN3's modulated convolution (NVIDIA's <c>networks_stylegan3.modulated_conv2d</c>), one grouped convolution
/// with per-sample weights. It differs from StyleGAN2's: with demodulation, weights and styles are first normalised
/// (weights per output filter to unit RMS, styles by their RMS over the whole batch) for numerical range; an input
/// gain (1 / sqrt of the layer's tracked input magnitude) scales the weights after demodulation; and the padding is
/// kernel - 1 on each side, so the output grows by kernel - 1 (the filtered activation then crops).
/// </summary>
public static class Sg3ModulatedConv
{
    /// <summary>Runs the convolution.</summary>
    /// <param name="x">Input [N, I, H, W].</param>
    /// <param name="weight">Weights [O, I, k, k] (no equalised-lr scale: demodulation or the ToRGB style gain covers it).</param>
    /// <param name="styles">Per-sample input-channel scales [N, I].</param>
    /// <param name="demodulate">Normalise every sample's output filters (all layers but ToRGB).</param>
    /// <param name="padding">Zero padding on each side (kernel - 1).</param>
    /// <param name="inputGain">Scalar tensor multiplying the weights, or null.</param>
    /// <returns>[N, O, H + 2p - k + 1, W + 2p - k + 1].</returns>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor styles, bool demodulate, int padding, Tensor? inputGain)
    {
        long n = x.shape[0], inC = x.shape[1];
        long outC = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        if (weight.shape[1] != inC)
            throw new ArgumentException($"Modulated conv: input has {inC} channels, weight expects {weight.shape[1]}.");
        if (styles.dim() != 2 || styles.shape[0] != n || styles.shape[1] != inC)
            throw new ArgumentException($"Modulated conv: styles must be [{n}, {inC}], got [{string.Join(", ", styles.shape)}].");
        var w = weight;
        var s = styles;
        if (demodulate)
        {
            w = w * w.square().mean([1, 2, 3], keepdim: true).rsqrt();         // [O, I, k, k], unit RMS per filter
            s = s * s.square().mean().rsqrt();                                  // [N, I], unit RMS over the batch
        }
        var wn = w.unsqueeze(0) * s.reshape(n, 1, inC, 1, 1);                  // [N, O, I, k, k]
        if (demodulate)
        {
            var d = (wn.square().sum([2, 3, 4]) + 1e-8f).rsqrt();              // [N, O]
            wn = wn * d.reshape(n, outC, 1, 1, 1);
        }
        if (inputGain is not null) wn = wn * inputGain;
        var y = Ops.CpuConv.Conv2d(x.reshape(1, n * inC, x.shape[2], x.shape[3]), wn.reshape(n * outC, inC, kh, kw).to(x.dtype),
            padding: [padding, padding], groups: n);                            // [1, N*O, H', W']
        return y.reshape(n, outC, y.shape[2], y.shape[3]);
    }
}
