using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Compact;

/// <summary>The in-domain angle-consistency loss (HyperDomainNet), used by compact and full runs.</summary>
public sealed class CompactAngleLossTests
{
    [Fact]
    public void ItIsTheMeanSquaredChangeOfPairwiseCosines()
    {
        using var scope = NewDisposeScope();
        // Frozen: three unit vectors at 0, 90 and 180 degrees; cosines (0,1) = 0, (0,2) = -1, (1,2) = 0.
        var frozen = tensor(new float[] { 2, 0, 0, 3, -1, 0 }, [3, 2]);
        // Trainable: 0, 0 and 90 degrees; cosines (0,1) = 1, (0,2) = 0, (1,2) = 0.
        var trainable = tensor(new float[] { 1, 0, 5, 0, 0, 4 }, [3, 2]);
        // ((0 - 1)^2 + (-1 - 0)^2 + (0 - 0)^2) / 3
        Assert.Equal(2.0 / 3, InDomainAngleLoss.Compute(frozen, trainable).item<float>(), 6);
        Assert.Equal(0.0, InDomainAngleLoss.Compute(frozen, frozen * 7).item<float>(), 6);
        Assert.Equal(0.0, InDomainAngleLoss.Compute(frozen[..1], trainable[..1]).item<float>());
    }

    [Fact]
    public void ItsGradientPullsTheAnglesBack()
    {
        using var scope = NewDisposeScope();
        var frozen = randn(4, 8, generator: new TorchSharp.torch.Generator(1));
        var trainable = randn(4, 8, generator: new TorchSharp.torch.Generator(2)).requires_grad_(true);
        var loss = InDomainAngleLoss.Compute(frozen, trainable);
        loss.backward();
        using (no_grad())
        {
            var moved = trainable - 0.05f * trainable.grad!;
            Assert.True(InDomainAngleLoss.Compute(frozen, moved).item<float>() < loss.item<float>());
        }
    }

    [Fact]
    public void ItNeedsABatchOfTwo()
    {
        var errors = new AdaptationOptions { LambdaAngle = 1f, BatchSize = 1 }.Check();
        Assert.Contains("at least 2", errors[nameof(AdaptationOptions.LambdaAngle)]);
        Assert.True(new AdaptationOptions { LambdaAngle = 1f, BatchSize = 2 }.Check().IsValid);
        // It keeps diversity but moves nothing: alone it is not a loss that trains.
        Assert.False(new AdaptationOptions { LambdaAngle = 1f, LambdaDirection = 0 }.Check().IsValid);
    }
}
