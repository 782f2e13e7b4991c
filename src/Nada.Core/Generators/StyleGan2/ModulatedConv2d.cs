using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>
/// Convolution whose input channels are scaled per sample by an affine function of w (the style), with
/// optional demodulation and 2x up-sampling (transposed conv + blur). Weights use equalised lr (1/sqrt(fan_in)).
/// </summary>
public sealed class ModulatedConv2d : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter weight;          // [1, O, I, k, k]
    private readonly EqualLinear modulation;    // w -> per-input-channel scale
    private readonly Blur? blur;                 // only when up-sampling
    private readonly float _scale;
    private readonly bool _demodulate;

    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Square kernel size (3 for convs, 1 for ToRGB).</param>
    /// <param name="styleDim">Size of w.</param>
    /// <param name="demodulate">Demodulate (convs) or not (ToRGB).</param>
    /// <param name="upsample">Up-sample by 2 before the convolution's output.</param>
    /// <param name="taps">FIR taps of the blur.</param>
    public ModulatedConv2d(int inChannels, int outChannels, int kernelSize, int styleDim, bool demodulate,
        bool upsample, IReadOnlyList<float> taps) : base(nameof(ModulatedConv2d))
    {
        weight = new Parameter(randn(new long[] { 1, outChannels, inChannels, kernelSize, kernelSize }), true);
        modulation = new EqualLinear(styleDim, inChannels, biasInit: 1f);
        if (upsample)
        {
            int p = (taps.Count - 2) - (kernelSize - 1);
            blur = new Blur(taps, (p + 1) / 2 + 1, p / 2 + 1, upsampleFactor: 2);
        }
        _scale = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize);
        _demodulate = demodulate;
        InChannels = inChannels;
        OutChannels = outChannels;
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>
    /// True (default): one grouped convolution with per-sample weights; false: shared-weight convolution with
    /// input/output scaling (<see cref="ModulatedConv.ForwardNonFused"/>), the path NVIDIA trains with.
    /// </summary>
    public bool Fused { get; set; } = true;

    /// <summary>A compact domain's offsets d [I]: the styles are scaled by (1 + d); null renders the base.</summary>
    public Tensor? StyleOffset { get; set; }

    /// <summary>
    /// x [N, I, H, W], style [N, WDim] -> [N, O, H, W] (or [N, O, 2H, 2W]) in x's dtype; styles and weights are
    /// computed in float32 and cast for the convolution.
    /// </summary>
    public override Tensor forward(Tensor x, Tensor style)
    {
        using var scope = NewDisposeScope();
        var s = modulation.forward(style.to(weight.dtype));  // [N, I]
        if (StyleOffset is { } d) s = s * (1 + d);
        var w = weight.squeeze(0) * _scale;     // [O, I, k, k]
        // The stored blur kernel already carries the up-sampling gain 4.
        var y = Fused
            ? ModulatedConv.Forward(x, w, s, _demodulate, blur?.Kernel, upFilterGain: 1f)
            : ModulatedConv.ForwardNonFused(x, w, s, _demodulate, blur?.Kernel, upFilterGain: 1f);
        return y.MoveToOuterDisposeScope();
    }
}
