using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>Adds single-channel noise scaled by a learned strength: <c>x + weight * noise</c>.</summary>
public sealed class NoiseInjection : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Parameter weight; // [1]

    /// <summary>Creates the layer with strength 0.</summary>
    public NoiseInjection() : base(nameof(NoiseInjection))
    {
        weight = new Parameter(zeros(1), true);
        RegisterComponents();
    }

    /// <summary>x [N, C, H, W] plus noise [N or 1, 1, H, W], in x's dtype; null noise adds nothing (returns x).</summary>
    public override Tensor forward(Tensor x, Tensor? noise)
    {
        if (noise is null) return x;
        using var scope = NewDisposeScope();
        return (x + weight.to(x.dtype) * noise.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The same added into <paramref name="x"/>'s memory; only with gradients off, on a tensor the caller owns.</summary>
    public void AddInPlace(Tensor x, Tensor? noise)
    {
        if (noise is null) return;
        using var scope = NewDisposeScope();
        x.add_(weight.to(x.dtype) * noise.to(x.dtype));
    }
}
