using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// Filtered leaky ReLU, the nonlinearity of StyleGAN3 (NVIDIA's <c>filtered_lrelu</c>): for every channel
/// <list type="number">
/// <item>add the bias <c>b</c>;</item>
/// <item>up-sample by <c>up</c> (zero insertion), pad (or crop, for negative padding) and filter with <c>fu</c>
///   (gain <c>up^2</c>);</item>
/// <item>multiply by <c>gain</c>, apply the leaky ReLU with <c>slope</c>, clamp to [-clamp, clamp];</item>
/// <item>filter with <c>fd</c> and keep every <c>down</c>-th pixel.</item>
/// </list>
/// The activation thus runs at the higher rate, where its harmonics fit, and the low-pass filter removes them
/// before decimation. Filters are 1-D [taps] (separable), 2-D [fh, fw], or null (identity). Output size per axis:
/// <c>(in * up + pad0 + pad1 - (fuTaps - 1) - (fdTaps - 1) + down - 1) / down</c>.
/// <see cref="Reference"/> follows NVIDIA's <c>_filtered_lrelu_ref</c> step by step with <see cref="UpFirDn2d"/>;
/// <see cref="Forward"/> computes the same with fewer and smaller intermediates (tested together).
/// </summary>
public static class FilteredLRelu
{
    /// <summary>Default gain of the activation: sqrt(2).</summary>
    public static readonly float DefaultGain = MathF.Sqrt(2f);

    /// <summary>The output size [H, W] for an input of <paramref name="inH"/> x <paramref name="inW"/>.</summary>
    public static (long H, long W) OutputSize(long inH, long inW, Tensor? fu, Tensor? fd, int up, int down, Padding2d padding)
    {
        var (fuW, fuH) = FilterSize(fu);
        var (fdW, fdH) = FilterSize(fd);
        long w = (inW * up + padding.X0 + padding.X1 - (fuW - 1) - (fdW - 1) + (down - 1)) / down;
        long h = (inH * up + padding.Y0 + padding.Y1 - (fuH - 1) - (fdH - 1) + (down - 1)) / down;
        return (h, w);
    }

    /// <summary>
    /// The plain reference (NVIDIA's <c>_filtered_lrelu_ref</c>): bias, <see cref="UpFirDn2d.Reference"/> up,
    /// leaky ReLU with gain and clamp (<see cref="BiasAct.LeakyRelu"/>), <see cref="UpFirDn2d.Reference"/> down.
    /// Every step makes a full-size tensor.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="fu">Up-sampling filter ([taps], [fh, fw] or null = identity).</param>
    /// <param name="fd">Down-sampling filter ([taps], [fh, fw] or null = identity).</param>
    /// <param name="b">Bias [C] or null.</param>
    /// <param name="up">Up-sampling factor (1 = none).</param>
    /// <param name="down">Down-sampling factor (1 = none).</param>
    /// <param name="padding">Padding of the up-sampled image (negative crops).</param>
    /// <param name="gain">Multiplies the activation's input (sqrt 2 for StyleGAN3's layers, 1 for ToRGB).</param>
    /// <param name="slope">Slope of the negative side (0.2; 1 = linear).</param>
    /// <param name="clamp">Clamps the activation's output to [-clamp, clamp]; null = none.</param>
    /// <param name="flipFilter">False (default): convolution; true: correlation.</param>
    public static Tensor Reference(Tensor x, Tensor? fu, Tensor? fd, Tensor? b, int up = 1, int down = 1, Padding2d padding = default,
        float? gain = null, float slope = 0.2f, float? clamp = null, bool flipFilter = false)
    {
        Check(x, b, up, down, gain, slope, clamp);
        var (outH, outW) = OutputSize(x.shape[2], x.shape[3], fu, fd, up, down, padding);
        using var scope = NewDisposeScope();
        var identity = ones(1, 1);
        var y = BiasAct.Linear(x, b);                                                              // [N, C, H, W]
        y = UpFirDn2d.Reference(y, fu ?? identity, up: up, padding: padding, flipFilter: flipFilter, gain: up * up);
        y = BiasAct.LeakyRelu(y, null, alpha: slope, gain: gain ?? DefaultGain, clamp: clamp);      // [N, C, H*up+.., ..]
        y = UpFirDn2d.Reference(y, fd ?? identity, down: down, flipFilter: flipFilter);            // [N, C, outH, outW]
        if (y.shape[2] != outH || y.shape[3] != outW)
            throw new InvalidOperationException($"filtered_lrelu: expected [{outH}, {outW}], made [{y.shape[2]}, {y.shape[3]}].");
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same result as <see cref="Reference"/> with fewer and smaller intermediates: up-sampling is a strided
    /// transposed convolution (no zero-filled image; one axis at a time for separable filters), the gain rides on the
    /// up-sampling filter (the leaky ReLU is positively homogeneous), the activation and clamp run in place when no
    /// gradient is recorded, and down-sampling is a strided convolution that computes only the kept pixels.
    /// Intermediates are freed as soon as the next one exists (autograd keeps what backward needs by itself), and
    /// without autograd the channels run in blocks of at most <paramref name="blockBytes"/> at the activation's rate,
    /// each written straight into the output.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="fu">Up-sampling filter ([taps], [fh, fw] or null = identity).</param>
    /// <param name="fd">Down-sampling filter ([taps], [fh, fw] or null = identity).</param>
    /// <param name="b">Bias [C] or null.</param>
    /// <param name="up">Up-sampling factor (1 = none).</param>
    /// <param name="down">Down-sampling factor (1 = none).</param>
    /// <param name="padding">Padding of the up-sampled image (negative crops).</param>
    /// <param name="gain">Multiplies the activation's input (sqrt 2 for StyleGAN3's layers, 1 for ToRGB).</param>
    /// <param name="slope">Slope of the negative side (0.2; 1 = linear).</param>
    /// <param name="clamp">Clamps the activation's output to [-clamp, clamp]; null = none.</param>
    /// <param name="flipFilter">False (default): convolution; true: correlation.</param>
    /// <param name="blockBytes">Size bound of one channel block's activation-rate image (no autograd only).</param>
    public static Tensor Forward(Tensor x, Tensor? fu, Tensor? fd, Tensor? b, int up = 1, int down = 1, Padding2d padding = default,
        float? gain = null, float slope = 0.2f, float? clamp = null, bool flipFilter = false, long blockBytes = DefaultBlockBytes)
    {
        Check(x, b, up, down, gain, slope, clamp);
        var (outH, outW) = OutputSize(x.shape[2], x.shape[3], fu, fd, up, down, padding);
        bool recording = is_grad_enabled() && (x.requires_grad || (b?.requires_grad ?? false));
        long n = x.shape[0], c = x.shape[1];
        long upH = x.shape[2] * up + padding.Y0 + padding.Y1, upW = x.shape[3] * up + padding.X0 + padding.X1;
        long perChannel = n * upH * upW * x.element_size();                    // bytes of one channel at the activation's rate
        int block = (int)Math.Clamp(blockBytes / Math.Max(1, perChannel), 1, c);
        if (recording || block >= c)
            return ForwardWhole(x, fu, fd, b, up, down, padding, gain, slope, clamp, flipFilter, outH, outW);

        // Without autograd, channel blocks bound the intermediates (the transposed convolutions need a scratch buffer
        // as large as their output): each block's result goes straight into the output.
        var output = empty(new[] { n, c, outH, outW }, x.dtype, x.device);
        for (long c0 = 0; c0 < c; c0 += block)
        {
            using var scope = NewDisposeScope();
            long cs = Math.Min(block, c - c0);
            var y = ForwardWhole(x.narrow(1, c0, cs), fu, fd, b?.narrow(0, c0, cs), up, down, padding, gain, slope, clamp, flipFilter, outH, outW);
            output.narrow(1, c0, cs).copy_(y);
        }
        return output;
    }

    /// <summary>
    /// Without autograd, <see cref="Forward"/> processes channels in blocks whose activation-rate image stays under
    /// this many bytes (at 1024 px, one channel of config T's layer L12 at twice the rate is 17 MiB).
    /// </summary>
    public const long DefaultBlockBytes = 128L << 20;

    private static Tensor ForwardWhole(Tensor x, Tensor? fu, Tensor? fd, Tensor? b, int up, int down, Padding2d padding,
        float? gain, float slope, float? clamp, bool flipFilter, long outH, long outW)
    {
        float upGain = up * up * (gain ?? DefaultGain);
        using var scope = NewDisposeScope();
        var chain = new Chain(x);
        if (b is not null) chain.Next(x + b.to(x.dtype).reshape(1, -1, 1, 1));                   // [N, C, H, W]

        // Up-sample and filter: y[i] = z[i + taps - 1 - pad0], z = transposed conv of the input with the filter.
        if (fu is null || fu.dim() == 1)
        {
            var f1 = Filter1d(fu, x, MathF.Sqrt(upGain), flipFilter);                               // [taps]
            chain.Next(Upsample1d(chain.Current, f1, up, padding.X0, padding.X1, axis: 3));        // [N, C, H, W*up+..]
            chain.Next(Upsample1d(chain.Current, f1, up, padding.Y0, padding.Y1, axis: 2));        // [N, C, H*up+.., ..]
        }
        else
        {
            var f2 = fu.to(x.dtype, x.device) * upGain;
            if (flipFilter) f2 = f2.flip(0, 1);
            long c = x.shape[1], th = f2.shape[0], tw = f2.shape[1];
            var z = CpuConv.ConvTranspose2d(chain.Current, f2.reshape(1, 1, th, tw).expand(c, 1, th, tw),
                strides: [up, up], groups: c);                                                      // [N, C, (H-1)*up+th, (W-1)*up+tw]
            chain.Next(z);
            chain.Next(Window(chain.Current, 3, tw - 1 - padding.X0, x.shape[3] * up + padding.X0 + padding.X1 - tw + 1));
            chain.Next(Window(chain.Current, 2, th - 1 - padding.Y0, x.shape[2] * up + padding.Y0 + padding.Y1 - th + 1));
        }

        // Leaky ReLU (gain already applied) and clamp; in place on our own intermediate when nothing records gradients.
        bool inPlace = !is_grad_enabled() || !chain.Current.requires_grad;
        if (inPlace && ReferenceEquals(chain.Current, x)) chain.Next(x.clone());
        if (slope != 1f)
            chain.Next(inPlace ? nn.functional.leaky_relu(chain.Current, slope, inplace: true) : nn.functional.leaky_relu(chain.Current, slope));
        if (clamp is float cl)
            chain.Next(inPlace ? chain.Current.clamp_(-cl, cl) : chain.Current.clamp(-cl, cl));

        // Filter and decimate: a strided convolution with the flipped filter computes only the kept pixels.
        if (fd is null || fd.dim() == 1)
        {
            var f1 = Filter1d(fd, x, 1f, !flipFilter);
            chain.Next(Downsample1d(chain.Current, f1, down, axis: 3));                            // [N, C, .., outW]
            chain.Next(Downsample1d(chain.Current, f1, down, axis: 2));                            // [N, C, outH, outW]
        }
        else
        {
            var f2 = fd.to(x.dtype, x.device);
            if (!flipFilter) f2 = f2.flip(0, 1);
            long c = x.shape[1], th = f2.shape[0], tw = f2.shape[1];
            chain.Next(CpuConv.Conv2d(chain.Current, f2.reshape(1, 1, th, tw).expand(c, 1, th, tw),
                strides: [down, down], groups: c));                                                // [N, C, outH, outW]
        }
        var y = chain.Current;
        if (y.shape[2] != outH || y.shape[3] != outW)
            throw new InvalidOperationException($"filtered_lrelu: expected [{outH}, {outW}], made [{y.shape[2]}, {y.shape[3]}].");
        return ReferenceEquals(y, x) ? x : y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Up-samples one axis: transposed convolution with stride <paramref name="up"/> (no zero-filled image),
    /// then the window the padded reference keeps.
    /// </summary>
    private static Tensor Upsample1d(Tensor x, Tensor f, int up, int pad0, int pad1, int axis)
    {
        long taps = f.shape[0], c = x.shape[1], len = x.shape[axis];
        if (taps == 1 && up == 1)
            return Window(x * f[0], axis, -pad0, len + pad0 + pad1);
        var shape = axis == 3 ? new long[] { 1, 1, 1, taps } : [1, 1, taps, 1];
        var stride = axis == 3 ? new long[] { 1, up } : [up, 1];
        var weight = f.reshape(shape).expand(c, 1, shape[2], shape[3]);
        long start = taps - 1 - pad0, length = len * up + pad0 + pad1 - taps + 1;
        // The full result has (len - 1) * up + taps samples. When the window starts inside it and ends within `up`
        // samples of its symmetric crop, the convolution's own padding / output_padding cut it out: the result is
        // contiguous and nothing larger is made (StyleGAN3's paddings always allow this).
        long outputPadding = length - ((len - 1) * up + taps - 2 * start);
        if (start >= 0 && outputPadding >= 0 && outputPadding < up)
        {
            var padding = axis == 3 ? new long[] { 0, start } : [start, 0];
            var outPad = axis == 3 ? new long[] { 0, outputPadding } : [outputPadding, 0];
            return CpuConv.ConvTranspose2d(x, weight, strides: stride, padding: padding, outputPadding: outPad, groups: c);
        }
        var z = CpuConv.ConvTranspose2d(x, weight, strides: stride, groups: c);
        var window = Window(z, axis, start, length);
        if (!ReferenceEquals(window, z)) z.Dispose();
        if (window.is_contiguous()) return window;
        var packed = window.contiguous();   // what the next convolution would copy anyway; frees the full result now
        window.Dispose();
        return packed;
    }

    /// <summary>Filters one axis with stride <paramref name="down"/> (the filter already flipped for a convolution).</summary>
    private static Tensor Downsample1d(Tensor x, Tensor f, int down, int axis)
    {
        long taps = f.shape[0], c = x.shape[1];
        if (taps == 1)
        {
            var kept = x.slice(axis, 0, x.shape[axis], down);
            return f[0].to(ScalarType.Float32).item<float>() == 1f ? kept : kept * f[0];   // item<float> needs a float32 tensor
        }
        var shape = axis == 3 ? new long[] { 1, 1, 1, taps } : [1, 1, taps, 1];
        var stride = axis == 3 ? new long[] { 1, down } : [down, 1];
        return CpuConv.Conv2d(x, f.reshape(shape).expand(c, 1, shape[2], shape[3]), strides: stride, groups: c);
    }

    /// <summary>
    /// Elements [start, start + length) of <paramref name="axis"/>, with zeros where that range leaves the tensor
    /// (a view when it stays inside).
    /// </summary>
    private static Tensor Window(Tensor x, int axis, long start, long length)
    {
        long len = x.shape[axis];
        long before = Math.Max(0, -start), after = Math.Max(0, start + length - len);
        if (before > 0 || after > 0)
        {
            var pad = axis == 3 ? new long[] { before, after, 0, 0 } : [0, 0, before, after];
            x = nn.functional.pad(x, pad);
            start += before;
        }
        return start == 0 && length == x.shape[axis] ? x : x.narrow(axis, start, length);
    }

    /// <summary>A 1-D filter on x's device and dtype, times <paramref name="scale"/>, flipped when asked; null = [1].</summary>
    private static Tensor Filter1d(Tensor? f, Tensor x, float scale, bool flip)
    {
        var t = (f ?? ones(1)).to(x.dtype, x.device) * scale;
        return flip ? t.flip(0) : t;
    }

    private static (long W, long H) FilterSize(Tensor? f) => f is null ? (1, 1) : (f.shape[^1], f.shape[0]);

    private static void Check(Tensor x, Tensor? b, int up, int down, float? gain, float slope, float? clamp)
    {
        if (x.dim() != 4) throw new ArgumentException($"filtered_lrelu expects [N, C, H, W], got [{string.Join(", ", x.shape)}].");
        if (b is not null && (b.dim() != 1 || b.shape[0] != x.shape[1]))
            throw new ArgumentException($"filtered_lrelu: bias must be [{x.shape[1]}], got [{string.Join(", ", b.shape)}].");
        if (up < 1 || down < 1) throw new ArgumentException("filtered_lrelu: up/down factors must be >= 1.");
        if (gain is float g && !(g > 0)) throw new ArgumentException("filtered_lrelu: gain must be positive.");
        if (!(slope >= 0)) throw new ArgumentException("filtered_lrelu: slope must be >= 0.");
        if (clamp is float c && !(c >= 0)) throw new ArgumentException("filtered_lrelu: clamp must be >= 0.");
    }

    /// <summary>The current intermediate of <see cref="Forward"/>; the previous one is freed when a new one is set.</summary>
    private sealed class Chain(Tensor input)
    {
        private readonly Tensor _input = input;

        public Tensor Current { get; private set; } = input;

        public void Next(Tensor t)
        {
            if (!ReferenceEquals(t, Current) && !ReferenceEquals(Current, _input)) Current.Dispose();
            Current = t;
        }
    }
}
