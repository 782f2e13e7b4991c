using Nada.Core.Ops;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// Multi-head self-attention with a packed input projection, in the parameter layout of
/// <c>torch.nn.MultiheadAttention</c> (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj</c>). Batch first.
/// </summary>
internal sealed class ClipAttention : nn.Module<Tensor, Tensor?, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    public ClipAttention(int width, int heads) : base(nameof(ClipAttention))
    {
        this.heads = heads;
        in_proj_weight = new Parameter(empty(3 * width, width));
        in_proj_bias = new Parameter(zeros(3 * width));
        out_proj = nn.Linear(width, width);
        RegisterComponents();
    }

    /// <param name="x">[N, L, W]</param>
    /// <param name="mask">Additive mask [L, L] (e.g. causal), or null.</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        var (n, l, w) = (x.shape[0], x.shape[1], x.shape[2]);
        var headDim = w / heads;
        using var scope = NewDisposeScope();
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias);   // [N, L, 3W]
        var parts = qkv.chunk(3, -1);
        var q = parts[0].reshape(n, l, heads, headDim).transpose(1, 2);      // [N, H, L, hd]
        var k = parts[1].reshape(n, l, heads, headDim).transpose(1, 2);
        var v = parts[2].reshape(n, l, heads, headDim).transpose(1, 2);
        var scores = matmul(q * Math.Pow(headDim, -0.5), k.transpose(-2, -1)); // [N, H, L, L]
        scope.Keep(scores, v);
        if (mask is not null)
        {
            scores = scores + mask.to(scores.dtype);
            scope.Keep(scores, v);
        }
        var attn = scores.softmax(-1);
        scope.Keep(attn, v);
        var o = scope.Keep(matmul(attn, v).transpose(1, 2).reshape(n, l, w));  // [N, L, W]
        return out_proj.forward(o).MoveToOuterDisposeScope();
    }
}
