using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>
/// Holds a 2-D FIR filter as the buffer <c>kernel</c> (rosinality's <c>Blur</c> and <c>Upsample</c>
/// keep it in the state dict). The stored buffer is normalised and multiplied by <c>gain</c>, as there.
/// </summary>
public abstract class FirKernel : nn.Module<Tensor, Tensor>
{
    private readonly Tensor kernel; // [taps, taps]

    /// <summary>Registers the kernel buffer.</summary>
    protected FirKernel(string name, IReadOnlyList<float> taps, float gain) : base(name)
    {
        kernel = FirFilter.Setup(taps, gain: gain);
        RegisterComponents();
    }

    /// <summary>The stored (gain-multiplied) kernel.</summary>
    internal Tensor Kernel => kernel;
}

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
