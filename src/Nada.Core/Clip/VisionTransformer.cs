using Nada.Core.Ops;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>CLIP's ViT image tower: patch conv, class token, positional embedding, transformer, projection of the class token.</summary>
internal sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Conv2d conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly ClipLayerNorm ln_pre;
    private readonly ClipTransformer transformer;
    private readonly ClipLayerNorm ln_post;
    private readonly Parameter proj;
#pragma warning restore IDE1006

    public VisionTransformer(int resolution, int patch, int width, int layers, int heads, int outputDim, ClipActivation activation)
        : base(nameof(VisionTransformer))
    {
        conv1 = nn.Conv2d(3, width, patch, stride: patch, bias: false);
        class_embedding = new Parameter(zeros(width));
        var grid = resolution / patch;
        positional_embedding = new Parameter(zeros(grid * grid + 1, width));
        ln_pre = new ClipLayerNorm(width);
        transformer = new ClipTransformer(width, layers, heads, activation);
        ln_post = new ClipLayerNorm(width);
        proj = new Parameter(zeros(width, outputDim));
        RegisterComponents();
    }

    /// <param name="x">Preprocessed images [N, 3, R, R].</param>
    /// <returns>Image features [N, embed].</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Through CpuConv: in bfloat16 on the CPU, LibTorch's backward of this convolution (the gradient that reaches the
        // generator's images) was wrong; CpuConv computes it in float32 there.
        var w = conv1.weight!;
        long patch = w.shape[2];                                                // kernel = stride = patch size
        var y = scope.Keep(Ops.CpuConv.Conv2d(x.to(w.dtype), w, strides: [patch, patch]));   // [N, W, g, g]
        y = y.flatten(2).transpose(1, 2);                                       // [N, g*g, W]
        var cls = class_embedding.to(y.dtype).expand(y.shape[0], 1, -1);        // [N, 1, W]
        y = scope.Keep(cat([cls, y], 1) + positional_embedding.to(y.dtype));   // [N, g*g+1, W]
        y = scope.Keep(ln_pre.forward(y));
        y = scope.Keep(transformer.forward(y, null));
        y = scope.Keep(ln_post.forward(y[.., 0, ..]));          // [N, W]
        return matmul(y, proj).MoveToOuterDisposeScope();                       // [N, embed]
    }
}
