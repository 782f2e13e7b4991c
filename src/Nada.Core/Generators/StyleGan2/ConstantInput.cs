using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>The learned 4x4 feature map the synthesis network starts from.</summary>
public sealed class ConstantInput : nn.Module<long, Tensor>
{
    private readonly Parameter input; // [1, C, 4, 4]

    /// <summary>Creates the constant with <paramref name="channels"/> channels.</summary>
    public ConstantInput(int channels, int size = 4) : base(nameof(ConstantInput))
    {
        input = new Parameter(randn(1, channels, size, size), true);
        RegisterComponents();
    }

    /// <summary>The constant repeated for a batch: [batch, C, 4, 4].</summary>
    public override Tensor forward(long batch) => input.repeat(batch, 1, 1, 1);
}
