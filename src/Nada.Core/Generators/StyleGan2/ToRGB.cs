using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>
/// 1x1 modulated conv (no demodulation) to image channels plus bias, added to the up-sampled RGB image of
/// the previous resolution (skip architecture).
/// </summary>
public sealed class ToRGB : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Upsample? upsample;
    private readonly ModulatedConv2d conv;
    private readonly Parameter bias; // [1, imgChannels, 1, 1]
    private readonly float? _clamp;

    /// <summary>Creates the layer; <paramref name="upsample"/> is false only at 4x4.</summary>
    public ToRGB(int inChannels, int styleDim, bool upsample, IReadOnlyList<float> taps, int imgChannels, float? clamp)
        : base(nameof(ToRGB))
    {
        if (upsample) this.upsample = new Upsample(taps);
        conv = new ModulatedConv2d(inChannels, imgChannels, 1, styleDim, demodulate: false, upsample: false, taps);
        bias = new Parameter(zeros(1, imgChannels, 1, 1), true);
        _clamp = clamp;
        RegisterComponents();
    }

    /// <summary>The modulated convolution.</summary>
    public ModulatedConv2d Conv => conv;

    /// <summary>
    /// x [N, C, H, W], style [N, WDim], skip [N, 3, H/2, W/2] or null -> [N, 3, H, W] in the parameters' dtype: the conv
    /// runs in x's dtype, the RGB image accumulates in the parameters' dtype (float32, as NVIDIA's half-precision blocks keep it).
    /// </summary>
    public override Tensor forward(Tensor x, Tensor style, Tensor? skip)
    {
        using var scope = NewDisposeScope();
        var y = conv.forward(x, style);
        y = scope.Keep(y + bias.to(y.dtype));
        if (_clamp is float c) y = scope.Keep(y.clamp(-c, c));
        y = scope.Keep(y.to(bias.dtype));
        if (skip is not null)
        {
            if (upsample is null) throw new InvalidOperationException("This ToRGB has no up-sampler for a skip input.");
            y = scope.Keep(y + upsample.forward(skip));
        }
        return y.MoveToOuterDisposeScope();
    }
}
