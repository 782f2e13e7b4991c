using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>One synthesis layer: modulated conv, noise, bias + leaky ReLU.</summary>
public sealed class StyledConv : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly ModulatedConv2d conv;
    private readonly NoiseInjection noise;
    private readonly FusedLeakyReLU activate;

    /// <summary>Creates the layer (see <see cref="ModulatedConv2d"/>).</summary>
    public StyledConv(int inChannels, int outChannels, int styleDim, bool upsample, IReadOnlyList<float> taps,
        float? clamp) : base(nameof(StyledConv))
    {
        conv = new ModulatedConv2d(inChannels, outChannels, 3, styleDim, demodulate: true, upsample, taps);
        noise = new NoiseInjection();
        activate = new FusedLeakyReLU(outChannels, clamp);
        RegisterComponents();
    }

    /// <summary>The modulated convolution.</summary>
    public ModulatedConv2d Conv => conv;

    /// <summary>x [N, I, H, W], style [N, WDim], noise [N or 1, 1, H', W'] or null -> [N, O, H', W'] in x's dtype.</summary>
    public override Tensor forward(Tensor x, Tensor style, Tensor? noiseInput)
    {
        // Each stage keeps only its result: the conv output is released once the noise is added, and so on. Without
        // gradients nothing records the conv output, so noise and activation are applied in its memory.
        using var scope = NewDisposeScope();
        var y = conv.forward(x, style);
        if (is_grad_enabled())
        {
            y = scope.Keep(noise.forward(y, noiseInput));
            y = scope.Keep(activate.forward(y));
        }
        else
        {
            noise.AddInPlace(y, noiseInput);
            activate.ForwardInPlace(y);
        }
        return y.MoveToOuterDisposeScope();
    }
}
