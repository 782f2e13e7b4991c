using Nada.Core.Generators.StyleGan3;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// The filtered leaky ReLU's fast path against its reference (NVIDIA's <c>_filtered_lrelu_ref</c> built from
/// upfirdn2d): forward with and without autograd (the fast path works in place only without), gradients, every
/// filter kind StyleGAN3 uses (separable Kaiser, radial jinc, none), negative padding, non-square images,
/// asymmetric filters and both filter orientations.
/// </summary>
public class Sg3FilteredLReluTests
{
    public static TheoryData<string> Cases => new() { "sep-up2-down2-pad", "sep-up2-down2-crop", "radial-down", "torgb", "asym-up4-down2", "flip", "critical-up2-down1" };

    private sealed record Case(int H, int W, Tensor? Fu, Tensor? Fd, int Up, int Down, Padding2d Padding, float Gain, float Slope, float? Clamp, bool Flip);

    private static Case Make(string name)
    {
        float sqrt2 = MathF.Sqrt(2);
        return name switch
        {
            // StyleGAN3 layer shapes: 12-tap Kaiser filters at twice the rate, margins kept (positive padding) ...
            "sep-up2-down2-pad" => new(12, 12, Kaiser(12, 2, 6 * 2, 32), Kaiser(12, 2, 6 * 2, 32), 2, 2, new(9, 8, 9, 8), sqrt2, 0.2f, 256f, false),
            // ... or cropped to the image (negative padding), with a clamp that bites.
            "sep-up2-down2-crop" => new(21, 21, Kaiser(12, 8, 5, 32), Kaiser(12, 8, 5, 32), 2, 2, new(-5, -6, -5, -6), sqrt2, 0.2f, 0.3f, false),
            "radial-down" => new(13, 13, Kaiser(12, 3, 6, 32), LowpassFilterDesign.Design(12, 3, 6, 32, radial: true), 2, 2, new(9, 8, 9, 8), sqrt2, 0.2f, 256f, false),
            "torgb" => new(10, 10, null, null, 1, 1, default, 1f, 1f, 0.4f, false),
            // Not symmetric filters, non-square images, different paddings per axis, other factors.
            "asym-up4-down2" => new(7, 11, tensor(new float[] { 0.1f, 0.5f, 0.3f, -0.2f, 0.05f }), tensor(new float[] { 0.7f, 0.2f, 0.1f }), 4, 2, new(3, -2, 1, 4), sqrt2, 0.2f, null, false),
            "flip" => new(9, 6, tensor(new float[] { 0.1f, 0.5f, 0.3f, -0.2f }), arange(1, 10, dtype: ScalarType.Float32).reshape(3, 3) / 45, 2, 2, new(2, 1, 0, 3), 1.5f, 0.1f, 2f, true),
            "critical-up2-down1" => new(16, 16, Kaiser(12, 4, 3, 16), null, 2, 1, new(-3, -4, -3, -4), sqrt2, 0.2f, 256f, false),
            _ => throw new ArgumentException(name),
        };
    }

    private static Tensor Kaiser(int taps, double cutoff, double width, double fs) => LowpassFilterDesign.Design(taps, cutoff, width, fs)!;

    private static (Tensor Ref, Tensor Fast) Both(Case c, Tensor x, Tensor b) =>
        (FilteredLRelu.Reference(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, c.Clamp, c.Flip),
         FilteredLRelu.Forward(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, c.Clamp, c.Flip));

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(string name)
    {
        using var scope = NewDisposeScope();
        var c = Make(name);
        manual_seed(11);
        var x = randn(2, 3, c.H, c.W);
        var b = randn(3) * 0.5f;
        var expectedSize = FilteredLRelu.OutputSize(c.H, c.W, c.Fu, c.Fd, c.Up, c.Down, c.Padding);
        using (no_grad())
        {
            var (r, f) = Both(c, x, b);
            Assert.Equal(new long[] { 2, 3, expectedSize.H, expectedSize.W }, r.shape);
            Assert.True(r.abs().max().item<float>() > 0.1f, "the case must produce a signal");
            AssertClose(r, f, name + " (no grad, in place)");
            // Channel blocks (one channel at a time here) give the same result (up to the convolutions' rounding).
            var blocked = FilteredLRelu.Forward(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, c.Clamp, c.Flip, blockBytes: 1);
            AssertClose(r, blocked, name + " (no grad, channel blocks)");
            if (c.Clamp is float cl && cl < 1)
            {
                // The small clamps must bite, or the case would not test them.
                var unclamped = FilteredLRelu.Reference(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, null, c.Flip);
                Assert.True(Sg2TestData.MaxAbs(unclamped, r) > 0.1, name + ": the clamp changes nothing");
            }
        }
        // With autograd on, the fast path must not work in place and must give the same values.
        var xg = x.clone().requires_grad_(true);
        var (r2, f2) = Both(c, xg, b);
        AssertClose(r2, f2, name + " (grad)");
        Assert.Equal(0.0, Sg2TestData.MaxAbs(x, xg.detach()));   // the input was not modified
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathGradientsMatchReference(string name)
    {
        using var scope = NewDisposeScope();
        var c = Make(name);
        manual_seed(12);
        var x0 = randn(2, 3, c.H, c.W);
        var b0 = randn(3) * 0.5f;
        var (oh, ow) = FilteredLRelu.OutputSize(c.H, c.W, c.Fu, c.Fd, c.Up, c.Down, c.Padding);
        var upstream = randn(2, 3, oh, ow);
        (Tensor Dx, Tensor Db) Grads(bool fast)
        {
            var x = x0.clone().requires_grad_(true);
            var b = b0.clone().requires_grad_(true);
            var y = fast ? FilteredLRelu.Forward(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, c.Clamp, c.Flip)
                         : FilteredLRelu.Reference(x, c.Fu, c.Fd, b, c.Up, c.Down, c.Padding, c.Gain, c.Slope, c.Clamp, c.Flip);
            (y * upstream).sum().backward();
            return (x.grad!, b.grad!);
        }
        var (rx, rb) = Grads(fast: false);
        var (fx, fb) = Grads(fast: true);
        Assert.True(rx.abs().max().item<float>() > 1e-3f, "the gradient must not vanish");
        AssertClose(rx, fx, name + " dx");
        AssertClose(rb, fb, name + " db");
    }

    [Fact]
    public void SeparableUpFirDn2dEqualsItsOuterProductFilter()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var x = randn(2, 3, 7, 9);
        var f = tensor(new float[] { 0.1f, 0.5f, 0.3f, -0.2f, 0.05f });
        var f2 = f.unsqueeze(1) * f.unsqueeze(0);                                  // [5, 5]
        var sep = UpFirDn2d.Reference(x, f, up: 2, down: 3, padding: new Padding2d(2, -1, 4, 0), gain: 4);
        var full = UpFirDn2d.Reference(x, f2, up: 2, down: 3, padding: new Padding2d(2, -1, 4, 0), gain: 4);
        Assert.Equal(full.shape, sep.shape);
        Assert.True(Sg2TestData.MaxAbs(sep, full) < 1e-6);
    }

    [Fact]
    public void WithoutResamplingItIsBiasLeakyReluGainAndClamp()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(1, 2, 5, 4) * 3;
        var b = tensor(new float[] { 0.5f, -1f });
        var expected = (nn.functional.leaky_relu(x + b.reshape(1, 2, 1, 1), 0.2) * MathF.Sqrt(2)).clamp(-1.5, 1.5);
        foreach (var y in new[] { FilteredLRelu.Reference(x, null, null, b, clamp: 1.5f), FilteredLRelu.Forward(x, null, null, b, clamp: 1.5f) })
            Assert.True(Sg2TestData.MaxAbs(y, expected) < 1e-6);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheirNames()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 3, 8, 8);
        Assert.Contains("bias must be [3]", Assert.Throws<ArgumentException>(() => FilteredLRelu.Forward(x, null, null, zeros(4))).Message);
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => FilteredLRelu.Reference(randn(3, 8, 8), null, null, null)).Message);
        Assert.Contains("up/down", Assert.Throws<ArgumentException>(() => FilteredLRelu.Forward(x, null, null, null, up: 0)).Message);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        double err = Sg2TestData.MaxAbs(actual, expected);
        Assert.True(err <= 2e-6 * scale, $"{what}: max abs difference {err:E2} (scale {scale:F2})");
    }
}
