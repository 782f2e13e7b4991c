using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Clip;

public class ClipPreprocessorTests
{
    [Theory]
    [InlineData(48, 80)]
    [InlineData(90, 50)]
    [InlineData(64, 64)]
    [InlineData(300, 500)]
    public void NonSquareInputGivesSquareOutput(int h, int w)
    {
        using var scope = NewDisposeScope();
        var pre = new ClipPreprocessor(32);
        var y = pre.Forward(rand(2, 3, h, w) * 2 - 1);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, y.shape);
    }

    [Fact]
    public void ShorterSideIsResizedAndLongerSideTruncatedLikeTorchvision()
    {
        var pre = new ClipPreprocessor(224);
        Assert.Equal((224L, 373L), pre.ResizedSize(48, 80));    // int(224 * 80 / 48) = 373
        Assert.Equal((403L, 224L), pre.ResizedSize(90, 50));    // int(224 * 90 / 50) = 403
        Assert.Equal((224L, 224L), pre.ResizedSize(1024, 1024));
    }

    [Fact]
    public void ConstantImageMapsToNormalisedConstant()
    {
        using var scope = NewDisposeScope();
        var pre = new ClipPreprocessor(32);
        var y = pre.Forward(full(1, 3, 40, 72, 0.5f));
        for (var c = 0; c < 3; c++)
        {
            var want = (0.75f - ClipPreprocessor.OpenAiMean[c]) / ClipPreprocessor.OpenAiStd[c];
            Assert.True((y[0, c] - want).abs().max().item<float>() < 1e-5f);
        }
    }

    [Fact]
    public void CropIsCentred()
    {
        // Width twice the height: the crop leaves equal margins, so flipping commutes with preprocessing.
        using var scope = NewDisposeScope();
        var pre = new ClipPreprocessor(32);
        var x = rand(1, 3, 24, 48) * 2 - 1;
        var a = pre.Forward(x.flip(3));
        var b = pre.Forward(x).flip(3);
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void ImageAtInputSizeIsOnlyNormalised()
    {
        using var scope = NewDisposeScope();
        var pre = new ClipPreprocessor(16);
        var x = rand(1, 3, 16, 16) * 2 - 1;
        var mean = tensor(ClipPreprocessor.OpenAiMean.ToArray()).view(1, 3, 1, 1);
        var std = tensor(ClipPreprocessor.OpenAiStd.ToArray()).view(1, 3, 1, 1);
        Assert.True(pre.Forward(x).allclose(((x + 1) / 2 - mean) / std, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void PreprocessingIsDifferentiable()
    {
        using var scope = NewDisposeScope();
        var x = (rand(1, 3, 20, 30) * 2 - 1).requires_grad_(true);
        new ClipPreprocessor(32).Forward(x).square().sum().backward();
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
    }
}
