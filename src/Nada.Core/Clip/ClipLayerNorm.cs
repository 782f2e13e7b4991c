using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>LayerNorm computed in float32 whatever the input dtype (as OpenAI's CLIP does for fp16).</summary>
internal sealed class ClipLayerNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Parameter weight;
    private readonly Parameter bias;
#pragma warning restore IDE1006

    public ClipLayerNorm(long width) : base(nameof(ClipLayerNorm))
    {
        weight = new Parameter(ones(width));
        bias = new Parameter(zeros(width));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.layer_norm(x.to(ScalarType.Float32), [weight.shape[0]],
            weight.to(ScalarType.Float32), bias.to(ScalarType.Float32), 1e-5);
        return y.to(x.dtype).MoveToOuterDisposeScope();
    }
}
