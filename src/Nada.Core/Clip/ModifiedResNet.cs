using Nada.Core.Ops;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// The shortcut of a <see cref="Bottleneck"/> that changes shape: average pooling by the stride, then a
/// 1x1 conv (<c>downsample.0</c>) and batch norm (<c>downsample.1</c>).
/// </summary>
internal sealed class BottleneckDownsample : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "0")] private readonly Conv2d conv;
    [ComponentName(Name = "1")] private readonly BatchNorm2d bn;
    private readonly int stride;

    public BottleneckDownsample(int inplanes, int outplanes, int stride) : base(nameof(BottleneckDownsample))
    {
        this.stride = stride;
        conv = nn.Conv2d(inplanes, outplanes, 1, bias: false);
        bn = nn.BatchNorm2d(outplanes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = stride > 1 ? nn.functional.avg_pool2d(x, stride) : x;
        y = scope.Keep(conv.forward(y));
        return bn.forward(y).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet bottleneck of CLIP's ModifiedResNet: every conv has stride 1; a stride is an average pool after
/// the 3x3 conv (anti-aliased strided convolution), and on the shortcut before its 1x1 conv.
/// </summary>
internal sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;
#pragma warning disable IDE1006 // state-dict names
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly BottleneckDownsample? downsample;
#pragma warning restore IDE1006
    private readonly int stride;

    public Bottleneck(int inplanes, int planes, int stride) : base(nameof(Bottleneck))
    {
        this.stride = stride;
        conv1 = nn.Conv2d(inplanes, planes, 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(planes * Expansion);
        if (stride > 1 || inplanes != planes * Expansion)
            downsample = new BottleneckDownsample(inplanes, planes * Expansion, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Each stage keeps only its result alive (the dispose-scope rule); x is the caller's.
        using var scope = NewDisposeScope();
        var o = scope.Keep(conv1.forward(x));
        o = scope.Keep(nn.functional.relu(bn1.forward(o)));
        o = scope.Keep(Ops.CpuConv.Conv2d(o, conv2.weight!, padding: [1, 1]));      // conv2 (3x3), past oneDNN's CPU defect
        o = scope.Keep(nn.functional.relu(bn2.forward(o)));
        if (stride > 1) o = scope.Keep(nn.functional.avg_pool2d(o, stride));
        o = scope.Keep(conv3.forward(o));
        o = scope.Keep(bn3.forward(o));
        var identity = downsample is null ? x : downsample.forward(x);
        o = scope.Keep(o + identity);
        return nn.functional.relu(o).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Attention pooling of CLIP's ModifiedResNet: the mean of the spatial tokens attends (as the only query)
/// over itself and all spatial tokens; separate q/k/v projections and an output projection <c>c_proj</c>.
/// </summary>
internal sealed class AttentionPool2d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Parameter positional_embedding;
    private readonly Linear k_proj;
    private readonly Linear q_proj;
    private readonly Linear v_proj;
    private readonly Linear c_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    public AttentionPool2d(int spatialDim, int embedDim, int heads, int outputDim) : base(nameof(AttentionPool2d))
    {
        this.heads = heads;
        positional_embedding = new Parameter(zeros(spatialDim * spatialDim + 1, embedDim));
        k_proj = nn.Linear(embedDim, embedDim);
        q_proj = nn.Linear(embedDim, embedDim);
        v_proj = nn.Linear(embedDim, embedDim);
        c_proj = nn.Linear(embedDim, outputDim);
        RegisterComponents();
    }

    /// <param name="x">[N, C, H, W]</param>
    /// <returns>[N, outputDim]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x.flatten(2).transpose(1, 2);                                       // [N, HW, C]
        x = cat([x.mean([1], keepdim: true), x], 1);                            // [N, HW+1, C]
        x = x + positional_embedding.to(x.dtype);
        var (n, l, c) = (x.shape[0], x.shape[1], x.shape[2]);
        var hd = c / heads;
        var q = q_proj.forward(x[.., ..1, ..]).reshape(n, 1, heads, hd).transpose(1, 2); // [N, H, 1, hd]
        var k = k_proj.forward(x).reshape(n, l, heads, hd).transpose(1, 2);              // [N, H, L, hd]
        var v = v_proj.forward(x).reshape(n, l, heads, hd).transpose(1, 2);
        var attn = matmul(q * Math.Pow(hd, -0.5), k.transpose(-2, -1)).softmax(-1);       // [N, H, 1, L]
        var o = matmul(attn, v).transpose(1, 2).reshape(n, c);                             // [N, C]
        return c_proj.forward(o).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// CLIP's ModifiedResNet image tower: a three-conv stem with average pooling, four bottleneck stages
/// (strides 1, 2, 2, 2) and attention pooling instead of global average pooling.
/// </summary>
internal sealed class ModifiedResNet : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // state-dict names
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly ModuleList<Bottleneck> layer1;
    private readonly ModuleList<Bottleneck> layer2;
    private readonly ModuleList<Bottleneck> layer3;
    private readonly ModuleList<Bottleneck> layer4;
    private readonly AttentionPool2d attnpool;
#pragma warning restore IDE1006

    public ModifiedResNet(IReadOnlyList<int> layers, int outputDim, int heads, int resolution, int width) : base(nameof(ModifiedResNet))
    {
        conv1 = nn.Conv2d(3, width / 2, 3, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(width / 2);
        conv2 = nn.Conv2d(width / 2, width / 2, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width / 2);
        conv3 = nn.Conv2d(width / 2, width, 3, padding: 1, bias: false);
        bn3 = nn.BatchNorm2d(width);
        var inplanes = width;
        ModuleList<Bottleneck> Stage(int planes, int blocks, int stride)
        {
            var list = new List<Bottleneck> { new(inplanes, planes, stride) };
            inplanes = planes * Bottleneck.Expansion;
            for (var i = 1; i < blocks; i++) list.Add(new Bottleneck(inplanes, planes, 1));
            return new ModuleList<Bottleneck>(list.ToArray());
        }
        layer1 = Stage(width, layers[0], 1);
        layer2 = Stage(width * 2, layers[1], 2);
        layer3 = Stage(width * 4, layers[2], 2);
        layer4 = Stage(width * 8, layers[3], 2);
        attnpool = new AttentionPool2d(resolution / 32, width * 32, heads, outputDim);
        RegisterComponents();
    }

    /// <param name="x">Preprocessed images [N, 3, R, R].</param>
    /// <returns>Image features [N, embed].</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = x.to(conv1.weight!.dtype);
        foreach (var (conv, bn, stride) in new[] { (conv1, bn1, 2L), (conv2, bn2, 1L), (conv3, bn3, 1L) })
        {
            // The stem's 3x3 convolutions (RN50x4's have 40 input channels: see Ops.CpuConv).
            y = scope.Keep(Ops.CpuConv.Conv2d(y, conv.weight!, strides: [stride, stride], padding: [1, 1]));
            y = scope.Keep(nn.functional.relu(bn.forward(y)));  // [N, w/2, R/2, R/2] ... [N, w, R/2, R/2]
        }
        y = scope.Keep(nn.functional.avg_pool2d(y, 2));        // [N, w, R/4, R/4]
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
            foreach (var block in stage) y = scope.Keep(block.forward(y));   // -> [N, 32w, R/32, R/32]
        return attnpool.forward(y).MoveToOuterDisposeScope();
    }
}
