using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>The blur after a transposed convolution (stored kernel includes the up-sampling gain 4).</summary>
public sealed class Blur : FirKernel
{
    private readonly Padding2d _padding;

    /// <summary>Creates the blur with the given symmetric padding.</summary>
    public Blur(IReadOnlyList<float> taps, int pad0, int pad1, int upsampleFactor)
        : base(nameof(Blur), taps, upsampleFactor * upsampleFactor)
    {
        _padding = Padding2d.Symmetric(pad0, pad1);
    }

    /// <summary>[N, C, H, W] -> [N, C, H + pad0 + pad1 - taps + 1, ...].</summary>
    public override Tensor forward(Tensor x) => UpFirDn2d.Reference(x, Kernel, padding: _padding);
}
