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

    /// <summary>x [N, I, H, W], style [N, WDim], noise [N or 1, 1, H', W'] or null -> [N, O, H', W'].</summary>
    public override Tensor forward(Tensor x, Tensor style, Tensor? noiseInput)
    {
        var y = conv.forward(x, style);
        y = noise.forward(y, noiseInput);
        return activate.forward(y);
    }
}
