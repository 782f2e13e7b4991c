using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// NVIDIA's <c>SynthesisLayer</c>: affine style from one W+ entry, modulated convolution
/// (<see cref="Sg3ModulatedConv"/>, input gain from <c>magnitude_ema</c>), then bias and the filtered leaky ReLU
/// (<see cref="FilteredLRelu"/>) with the stored <c>up_filter</c> / <c>down_filter</c> (absent when a factor is 1),
/// clamped to the conv clamp. The last layer of the network is ToRGB: 1x1 kernel, no demodulation, styles scaled
/// by 1/sqrt(fan-in), linear activation, no resampling. Sizes, rates and padding come from the
/// <see cref="SynthesisLayerSpec"/>; fields are NVIDIA's state-dict names.
/// </summary>
public sealed class SynthesisLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly FullyConnectedLayer affine;    // w -> styles [I]
    private readonly Parameter weight;              // [O, I, k, k]
    private readonly Parameter bias;                // [O]
    private readonly Tensor magnitude_ema;          // []
    private readonly Tensor? up_filter;             // [taps] or null
    private readonly Tensor? down_filter;           // [taps], [taps, taps] (radial) or null
    private readonly float? _clamp;

    /// <summary>Creates the layer with random weights and designed filters.</summary>
    public SynthesisLayer(SynthesisLayerSpec spec, int wDim, float? convClamp) : base(nameof(SynthesisLayer))
    {
        Spec = spec;
        affine = new FullyConnectedLayer(wDim, spec.InChannels, biasInit: [1f]);
        weight = new Parameter(randn(spec.OutChannels, spec.InChannels, spec.ConvKernel, spec.ConvKernel), true);
        bias = new Parameter(zeros(spec.OutChannels), true);
        magnitude_ema = ones(Array.Empty<long>());
        up_filter = LowpassFilterDesign.Design(spec.UpTaps, spec.InCutoff, spec.InHalfWidth * 2, spec.TmpSamplingRate);
        down_filter = LowpassFilterDesign.Design(spec.DownTaps, spec.OutCutoff, spec.OutHalfWidth * 2, spec.TmpSamplingRate, spec.DownRadial);
        _clamp = convClamp;
        RegisterComponents();
    }

    /// <summary>Sizes, rates, filters and padding of this layer.</summary>
    public SynthesisLayerSpec Spec { get; }

    /// <summary>A compact domain's offsets d [InChannels]: the styles are scaled by (1 + d); null renders the base.</summary>
    public Tensor? StyleOffset { get; set; }

    /// <summary>Run the filtered leaky ReLU's reference implementation instead of the fast one (same result; for tests).</summary>
    public bool UseReferenceOps { get; set; }

    /// <summary>
    /// x [N, InChannels, InSize, InSize], w [N, WDim] -> [N, OutChannels, OutSize, OutSize]. Runs in its own dispose
    /// scope and moves only its output out.
    /// </summary>
    public override Tensor forward(Tensor x, Tensor w)
    {
        var spec = Spec;
        if (x.dim() != 4 || x.shape[1] != spec.InChannels || x.shape[2] != spec.InSize || x.shape[3] != spec.InSize)
            throw new ArgumentException($"Layer {spec.Name} expects [N, {spec.InChannels}, {spec.InSize}, {spec.InSize}], got [{string.Join(", ", x.shape)}].");
        using var scope = NewDisposeScope();
        var inputGain = magnitude_ema.rsqrt();                                  // []
        var styles = affine.forward(w);                                         // [N, I]
        if (StyleOffset is { } d) styles = styles * (1 + d);
        if (spec.IsToRgb) styles = styles * (float)(1 / Math.Sqrt(spec.InChannels * spec.ConvKernel * spec.ConvKernel));
        var y = Sg3ModulatedConv.Forward(x, weight, styles, demodulate: !spec.IsToRgb, padding: spec.ConvKernel - 1, inputGain);  // [N, O, In+k-1, In+k-1]
        float gain = spec.IsToRgb ? 1f : FilteredLRelu.DefaultGain;
        float slope = spec.IsToRgb ? 1f : 0.2f;
        var b = bias.to(y.dtype);
        y = UseReferenceOps
            ? FilteredLRelu.Reference(y, up_filter, down_filter, b, spec.UpFactor, spec.DownFactor, spec.Padding, gain, slope, _clamp)
            : FilteredLRelu.Forward(y, up_filter, down_filter, b, spec.UpFactor, spec.DownFactor, spec.Padding, gain, slope, _clamp);
        if (y.shape[2] != spec.OutSize || y.shape[3] != spec.OutSize)
            throw new InvalidOperationException($"Layer {spec.Name} made [{y.shape[2]}, {y.shape[3]}] pixels instead of {spec.OutSize}.");
        return y.MoveToOuterDisposeScope();                                     // [N, O, OutSize, OutSize]
    }
}
