using Nada.Core.Ops;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>The MLP of a residual attention block: <c>c_fc</c>, activation, <c>c_proj</c>.</summary>
internal sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Linear c_fc;
    private readonly Linear c_proj;
#pragma warning restore IDE1006
    private readonly ClipActivation activation;

    public ClipMlp(int width, ClipActivation activation) : base(nameof(ClipMlp))
    {
        this.activation = activation;
        c_fc = nn.Linear(width, width * 4);
        c_proj = nn.Linear(width * 4, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = c_fc.forward(x);                                                // [N, L, 4W]
        h = scope.Keep(activation == ClipActivation.QuickGelu ? h * sigmoid(1.702 * h) : nn.functional.gelu(h));
        return c_proj.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
internal sealed class ResidualAttentionBlock : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly ClipAttention attn;
    private readonly ClipLayerNorm ln_1;
    private readonly ClipMlp mlp;
    private readonly ClipLayerNorm ln_2;
#pragma warning restore IDE1006

    public ResidualAttentionBlock(int width, int heads, ClipActivation activation) : base(nameof(ResidualAttentionBlock))
    {
        attn = new ClipAttention(width, heads);
        ln_1 = new ClipLayerNorm(width);
        mlp = new ClipMlp(width, activation);
        ln_2 = new ClipLayerNorm(width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor? mask)
    {
        // Only the residual stream stays referenced between the two halves (the dispose-scope rule).
        using var scope = NewDisposeScope();
        x = scope.Keep(x + attn.forward(ln_1.forward(x), mask));
        return scope.Keep(x + mlp.forward(ln_2.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>A stack of residual attention blocks (<c>resblocks.N.*</c>), batch first [N, L, W].</summary>
internal sealed class ClipTransformer : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly ModuleList<ResidualAttentionBlock> resblocks;
#pragma warning restore IDE1006

    public ClipTransformer(int width, int layers, int heads, ClipActivation activation) : base(nameof(ClipTransformer))
    {
        resblocks = new ModuleList<ResidualAttentionBlock>(
            Enumerable.Range(0, layers).Select(_ => new ResidualAttentionBlock(width, heads, activation)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var y = x.alias();
        foreach (var block in resblocks) y = scope.Keep(block.forward(y, mask));
        return y.MoveToOuterDisposeScope();
    }
}
