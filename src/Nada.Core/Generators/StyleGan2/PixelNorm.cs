using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>Normalises every latent vector to unit root mean square (the mapping network's input).</summary>
public sealed class PixelNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the (parameter-free) module.</summary>
    public PixelNorm() : base(nameof(PixelNorm)) { }

    /// <summary>[N, D] -> [N, D].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x * (x.square().mean([1], keepdim: true) + 1e-8).rsqrt()).MoveToOuterDisposeScope();
    }
}
