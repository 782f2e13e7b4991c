using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

public class UpFirDn2dTests
{
    [Fact]
    public void FilterSetupIsNormalisedOuterProduct()
    {
        using var scope = NewDisposeScope();
        var f = FirFilter.Setup(FirFilter.StyleGan2Taps, gain: 4f);
        Assert.Equal(new long[] { 4, 4 }, f.shape);
        Assert.Equal(4.0, f.sum().item<float>(), 5);
        Assert.Equal(9f * 4f / 64f, f[1, 2].item<float>(), 6);
        Assert.Equal(1f * 4f / 64f, f[0, 0].item<float>(), 6);
    }

    [Fact]
    public void ZeroInsertionWithIdentityFilter()
    {
        using var scope = NewDisposeScope();
        var x = arange(1, 5, dtype: ScalarType.Float32).reshape(1, 1, 2, 2);
        var y = UpFirDn2d.Reference(x, ones(1, 1), up: 2);
        var expected = tensor(new float[] { 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0 }).reshape(1, 1, 4, 4);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(y, expected));
    }

    [Fact]
    public void PaddingCroppingAndDownsampling()
    {
        using var scope = NewDisposeScope();
        var x = arange(16, dtype: ScalarType.Float32).reshape(1, 1, 4, 4);
        // Crop one column on the left, pad one row on top, keep every 2nd pixel.
        var y = UpFirDn2d.Reference(x, ones(1, 1), down: 2, padding: new Padding2d(-1, 0, 1, 0));
        var expected = tensor(new float[] { 0, 0, 5, 7, 13, 15 }).reshape(1, 1, 3, 2);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(y, expected));
    }

    [Fact]
    public void FilterIsAConvolutionNotACorrelation()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 1, 3, 3);
        x[0, 0, 1, 1] = tensor(1f);
        var f = tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }).reshape(3, 3);
        var y = UpFirDn2d.Reference(x, f, padding: Padding2d.All(1));
        // The impulse response of a convolution is the filter itself.
        Assert.Equal(0.0, Sg2TestData.MaxAbs(y[0, 0], f));
        var yc = UpFirDn2d.Reference(x, f, padding: Padding2d.All(1), flipFilter: true);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(yc[0, 0], f.flip(0, 1)));
    }

    [Fact]
    public void Upsample2dKeepsConstantImagesAndMatchesTransposedVariant()
    {
        using var scope = NewDisposeScope();
        var f = FirFilter.Setup(FirFilter.StyleGan2Taps);
        var c = full(new long[] { 1, 2, 6, 6 }, 0.5f);
        var up = UpFirDn2d.Upsample2d(c, f);
        Assert.Equal(new long[] { 1, 2, 12, 12 }, up.shape);
        // Away from the zero-padded border the mean is kept.
        Assert.True(Sg2TestData.MaxAbs(up[.., .., 2..10, 2..10], full(new long[] { 1, 2, 8, 8 }, 0.5f)) < 1e-6);

        manual_seed(1);
        var x = randn(3, 5, 7, 9);
        var reference = UpFirDn2d.Upsample2d(x, f);
        var fast = UpFirDn2d.Upsample2dTransposed(x, f);
        Assert.True(Sg2TestData.MaxAbs(reference, fast) < 1e-5);
        // An asymmetric filter too (the fast variant must not rely on symmetry).
        var g = FirFilter.Setup([1f, 2f, 5f, 1f]);
        Assert.True(Sg2TestData.MaxAbs(UpFirDn2d.Upsample2d(x, g), UpFirDn2d.Upsample2dTransposed(x, g)) < 1e-5);
    }
}
