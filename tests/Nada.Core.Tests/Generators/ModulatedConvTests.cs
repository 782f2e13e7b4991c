using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

public class ModulatedConvTests
{
    [Fact]
    public void BiasActLeakyReluAndClamp()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { -2, 0.5f, 300 }).reshape(1, 3);
        var b = tensor(new float[] { 1, 0, 0 });
        var y = BiasAct.LeakyRelu(x, b, clamp: 256f);
        var s = MathF.Sqrt(2);
        Assert.Equal(-0.2f * s, y[0, 0].item<float>(), 5);
        Assert.Equal(0.5f * s, y[0, 1].item<float>(), 5);
        Assert.Equal(256f, y[0, 2].item<float>(), 5);
    }

    /// <summary>Grouped modulated conv equals a plain conv per sample with that sample's modulated weights.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GroupedEqualsPerSampleLoop(bool demodulate)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(3, 4, 6, 6);
        var weight = randn(5, 4, 3, 3);
        var styles = randn(3, 4);
        var y = ModulatedConv.Forward(x, weight, styles, demodulate);
        for (int n = 0; n < 3; n++)
        {
            var w = weight * styles[n].reshape(1, 4, 1, 1);
            if (demodulate) w = w / (w.square().sum([1, 2, 3], keepdim: true) + 1e-8).sqrt();
            var yn = nn.functional.conv2d(x[n].unsqueeze(0), w, padding: [1, 1]);
            Assert.True(Sg2TestData.MaxAbs(y[n].unsqueeze(0), yn) < 1e-5);
        }
    }

    /// <summary>
    /// The up-sampling path (grouped transposed conv + blur) equals, per sample: zero insertion, a full
    /// convolution with the flipped kernel, then the blur (an independent formulation of the same thing).
    /// </summary>
    [Fact]
    public void UpsamplingEqualsZeroInsertionThenConvolution()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var x = randn(2, 3, 5, 5);
        var weight = randn(4, 3, 3, 3);
        var styles = randn(2, 3);
        var f = FirFilter.Setup(FirFilter.StyleGan2Taps);
        var y = ModulatedConv.Forward(x, weight, styles, demodulate: true, upFilter: f);
        Assert.Equal(new long[] { 2, 4, 10, 10 }, y.shape);
        for (int n = 0; n < 2; n++)
        {
            var w = weight * styles[n].reshape(1, 3, 1, 1);
            w = w / (w.square().sum([1, 2, 3], keepdim: true) + 1e-8).sqrt();
            var z = UpFirDn2d.Reference(x[n].unsqueeze(0), ones(1, 1), up: 2, padding: Padding2d.Symmetric(2, 1)); // [1, 3, 13, 13]
            var t = nn.functional.conv2d(z, w.flip(2, 3));                                                      // [1, 4, 11, 11]
            var yn = UpFirDn2d.Reference(t, f, padding: Padding2d.All(1), gain: 4f);                             // [1, 4, 10, 10]
            Assert.True(Sg2TestData.MaxAbs(y[n].unsqueeze(0), yn) < 1e-5);
        }
    }

    /// <summary>The non-fused (shared-weight) variant equals the grouped reference, with and without up-sampling.</summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void NonFusedEqualsGrouped(bool demodulate, bool up)
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var x = randn(3, 4, 5, 5);
        var weight = randn(6, 4, 3, 3);
        var styles = randn(3, 4);
        var f = up ? FirFilter.Setup(FirFilter.StyleGan2Taps) : null;
        var a = ModulatedConv.Forward(x, weight, styles, demodulate, f);
        var b = ModulatedConv.ForwardNonFused(x, weight, styles, demodulate, f);
        Assert.True(Sg2TestData.MaxAbs(a, b) < 1e-4 * Math.Max(1.0, a.abs().max().item<float>()));
    }
}
