using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// <c>conv2d</c> and <c>conv_transpose2d</c> that steer around defects of LibTorch's oneDNN convolutions on the CPU
/// (LibTorch 2.10, the one TorchSharp 0.107 ships). A convolution with a kernel larger than 1x1 whose channel counts
/// are above one SIMD block (8 with AVX2, 16 with AVX-512) and not multiples of 16 reads channel padding that nobody
/// initialised: wrong values, or whole NaN maps when the garbage is NaN. bfloat16 transposed convolutions on the CPU
/// are wrong outright, which also breaks the backward pass of bfloat16 convolutions. It made StyleGAN3 photo
/// inversion fail at random ("the inversion loss became NaN at step 5"): a batch of one image runs its modulated
/// convolutions ungrouped, and config T's small layers have 51 and 40 input channels.
/// </summary>
/// <remarks>
/// Measured here against float64 convolutions (which oneDNN does not run), with and without the allocator filled
/// with NaNs first (tests/Nada.Core.Tests/Generators/CpuConvTests.cs): ordinary 3x3 convolutions with input or output
/// channel counts above one block that are not multiples of 16 gave NaNs or outputs and gradients 14-77% off (17-70
/// input channels except 32, 48 and 64 on this AVX-512 CPU; 9-15 and 17-23 too under <c>ONEDNN_MAX_CPU_ISA=AVX2</c>);
/// transposed convolutions, grouped ones included, were off by 2-64% when a group's channels were such counts, and
/// their outputs also for output counts of 33-48, 65-80, ... (multiples of 16 included) at a batch of two;
/// grouped ordinary convolutions, 1x1 kernels and 8 channels or fewer never were. Turning oneDNN off avoids it but
/// made StyleGAN training steps on the CPU 2-2.7x slower, so only the affected convolutions change: input and
/// output channels get zeros up to the next multiple of 16 (the extra outputs are cut off), which leaves the result
/// unchanged and leaves oneDNN no padding to read. CUDA (cuDNN) is not affected and is left alone.
/// </remarks>
public static class CpuConv
{
    /// <summary>Input channels are padded to a multiple of this (AVX-512's block; a multiple of AVX2's 8).</summary>
    public const long ChannelBlock = 16;

    /// <summary>Input channel counts up to this never met the defect (one AVX2 block).</summary>
    public const long SmallChannels = 8;

    /// <summary>Whether a convolution's channel count <paramref name="channels"/> (per group) meets the defect on the CPU.</summary>
    public static bool IsAffected(long channels) => channels > SmallChannels && channels % ChannelBlock != 0;

    /// <summary>Whether <see cref="Conv2d"/> pads this convolution's channels (weight [O, I, kh, kw]).</summary>
    public static bool NeedsChannelPadding(Tensor x, Tensor weight, long groups) =>
        IsCpuWithKernel(x, weight) && groups == 1 && (IsAffected(weight.shape[1]) || IsAffected(weight.shape[0]));

    /// <summary>Whether <see cref="ConvTranspose2d"/> pads this transposed convolution's channels (weight [G*I, O, kh, kw]).</summary>
    public static bool NeedsTransposedChannelPadding(Tensor x, Tensor weight, long groups) =>
        IsCpuWithKernel(x, weight) && (IsAffected(weight.shape[0] / groups) || RoundUpTransposedOutput(weight.shape[1]) != weight.shape[1]);

    private static bool IsCpuWithKernel(Tensor x, Tensor weight) =>
        x.device_type == DeviceType.CPU && (weight.shape[2] > 1 || weight.shape[3] > 1);

    private static bool IsCpuBFloat16(Tensor x) => x.device_type == DeviceType.CPU && x.dtype == ScalarType.BFloat16;

    /// <summary>
    /// <paramref name="conv"/> on float32 copies of <paramref name="x"/> and <paramref name="weight"/>, rounded back to
    /// bfloat16: what a GPU's bfloat16 kernels do (float32 accumulation), and the backward pass runs in float32 too.
    /// </summary>
    private static Tensor InFloat32(Tensor x, Tensor weight, Func<Tensor, Tensor, Tensor> conv)
    {
        using var scope = NewDisposeScope();
        return conv(x.to(ScalarType.Float32), weight.to(ScalarType.Float32)).to(ScalarType.BFloat16).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>nn.functional.conv2d(x, weight, null, strides, padding, groups: groups)</c>; where
    /// <see cref="NeedsChannelPadding(Tensor, Tensor, long)"/> says so, <paramref name="x"/> [N, I, H, W] and
    /// <paramref name="weight"/> [O, I, kh, kw] get zero channels up to multiples of 16 and the extra outputs are cut
    /// off. Gradients flow to both as without the padding. In bfloat16 on the CPU it computes in float32 and rounds
    /// the result to bfloat16.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, long[]? strides = null, long[]? padding = null, long groups = 1)
    {
        // Forward was right in bfloat16, but its backward (a bfloat16 transposed convolution inside LibTorch) was not.
        if (IsCpuBFloat16(x))
            return InFloat32(x, weight, (x32, w32) => Conv2d(x32, w32, strides, padding, groups));
        if (!NeedsChannelPadding(x, weight, groups))
            return nn.functional.conv2d(x, weight, strides: strides, padding: padding, groups: groups);
        long outC = weight.shape[0], inC = weight.shape[1];
        using var scope = NewDisposeScope();
        var xp = PadDim(x, 1, RoundUp(inC));                                     // [N, I', H, W], zeros after
        var wp = PadDim(PadDim(weight, 1, RoundUp(inC)), 0, RoundUp(outC));      // [O', I', kh, kw]
        var y = nn.functional.conv2d(xp, wp, strides: strides, padding: padding); // [N, O', H', W']
        return (y.shape[1] == outC ? y : y.narrow(1, 0, outC)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>nn.functional.conv_transpose2d(x, weight, strides, padding, outputPadding, groups)</c> with
    /// <paramref name="weight"/> [G*I, O, kh, kw]; where affected, every group's I and O are padded with zeros to
    /// multiples of 16 (outputs above 16: of 32) and the extra outputs cut off. In bfloat16 on the CPU it computes in
    /// float32 and rounds the result to bfloat16 (what a GPU's bfloat16 kernels do: float32 accumulation): LibTorch's
    /// bfloat16 transposed convolution on the CPU was 97% off even for StyleGAN3's one-channel-per-group filters.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, long[] strides, long[]? padding = null, long[]? outputPadding = null, long groups = 1)
    {
        if (IsCpuBFloat16(x))
            return InFloat32(x, weight, (x32, w32) => ConvTranspose2d(x32, w32, strides, padding, outputPadding, groups));
        if (!NeedsTransposedChannelPadding(x, weight, groups))
            return nn.functional.conv_transpose2d(x, weight, strides: strides, padding: padding, output_padding: outputPadding, groups: groups);
        long n = x.shape[0], inC = weight.shape[0] / groups, outC = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3];
        long inP = RoundUp(inC), outP = RoundUpTransposedOutput(outC);
        using var scope = NewDisposeScope();
        var xp = PadDim(x.reshape(n, groups, inC, x.shape[2], x.shape[3]), 2, inP).reshape(n, groups * inP, x.shape[2], x.shape[3]);
        var wp = PadDim(PadDim(weight.reshape(groups, inC, outC, kh, kw), 1, inP), 2, outP).reshape(groups * inP, outP, kh, kw);
        var y = nn.functional.conv_transpose2d(xp, wp, strides: strides, padding: padding, output_padding: outputPadding, groups: groups);   // [N, G*O', H', W']
        return y.reshape(n, groups, outP, y.shape[2], y.shape[3]).narrow(2, 0, outC)
            .reshape(n, groups * outC, y.shape[2], y.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A transposed convolution's output channels: its forward pass was also off for 33-48, 65-80, 97-112 ... outputs
    /// (a 32-channel block whose second half is empty), so above 16 they go up to a multiple of 32.
    /// </summary>
    private static long RoundUpTransposedOutput(long channels) =>
        channels <= SmallChannels ? channels : channels <= ChannelBlock ? ChannelBlock : (channels + 31) / 32 * 32;

    private static long RoundUp(long channels) => IsAffected(channels) ? (channels + ChannelBlock - 1) / ChannelBlock * ChannelBlock : channels;

    /// <summary>Zeros appended along <paramref name="dim"/> up to <paramref name="size"/> (the tensor itself when it is that size).</summary>
    private static Tensor PadDim(Tensor t, int dim, long size)
    {
        long extra = size - t.shape[dim];
        if (extra == 0) return t;
        var pad = new long[2 * (t.dim() - dim)];
        pad[^1] = extra;                                                        // pairs from the last dim: dim's "after"
        return nn.functional.pad(t, pad);
    }
}
