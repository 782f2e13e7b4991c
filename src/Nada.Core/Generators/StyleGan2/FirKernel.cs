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
