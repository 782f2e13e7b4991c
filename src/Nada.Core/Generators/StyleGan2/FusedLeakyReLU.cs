using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>Per-channel bias, leaky ReLU (0.2), gain sqrt(2), optional clamp: a styled conv's activation.</summary>
public sealed class FusedLeakyReLU : nn.Module<Tensor, Tensor>
{
    private readonly Parameter bias; // [C]
    private readonly float? _clamp;

    /// <summary>Creates the activation for <paramref name="channels"/> channels.</summary>
    public FusedLeakyReLU(int channels, float? clamp = null) : base(nameof(FusedLeakyReLU))
    {
        bias = new Parameter(zeros(channels), true);
        _clamp = clamp;
        RegisterComponents();
    }

    /// <summary>[N, C, H, W] -> [N, C, H, W].</summary>
    public override Tensor forward(Tensor x) => BiasAct.LeakyRelu(x, bias, clamp: _clamp);

    /// <summary>The same in <paramref name="x"/>'s memory; only with gradients off, on a tensor the caller owns.</summary>
    public Tensor ForwardInPlace(Tensor x) => BiasAct.LeakyReluInPlace(x, bias, clamp: _clamp);
}
