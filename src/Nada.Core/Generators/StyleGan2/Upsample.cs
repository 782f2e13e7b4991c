using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>2x up-sampling of the RGB skip image with the FIR filter.</summary>
public sealed class Upsample : FirKernel
{
    private readonly int _pad0, _pad1;

    /// <summary>Creates the 2x up-sampler.</summary>
    public Upsample(IReadOnlyList<float> taps) : base(nameof(Upsample), taps, 4f)
    {
        int p = taps.Count - 2;
        _pad0 = (p + 1) / 2 + 1;
        _pad1 = p / 2;
    }

    /// <summary>[N, C, H, W] -> [N, C, 2H, 2W].</summary>
    public override Tensor forward(Tensor x) =>
        UpFirDn2d.Reference(x, Kernel, up: 2, padding: Padding2d.Symmetric(_pad0, _pad1));
}
