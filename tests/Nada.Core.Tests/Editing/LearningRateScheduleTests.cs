using Nada.Core.Editing;

namespace Nada.Core.Tests.Editing;

/// <summary>The learning-rate curves of latent optimisation and inversion.</summary>
public sealed class LearningRateScheduleTests
{
    [Fact]
    public void RampUpDownFollowsNvidiasProjector()
    {
        var s = new LearningRateSchedule(LearningRateShape.RampUpDown, 0.1, RampUp: 0.05, RampDown: 0.25);
        Assert.Equal(0.0, s.RateAt(0, 1000));
        Assert.Equal(0.05, s.RateAt(25, 1000), 12);                      // halfway up the linear ramp
        Assert.Equal(0.1, s.RateAt(500, 1000), 12);                      // flat middle
        Assert.Equal(0.05, s.RateAt(875, 1000), 12);                     // halfway down the cosine: 0.5 - 0.5 cos(pi/2)
        Assert.True(s.RateAt(999, 1000) < 1e-4);
    }

    [Fact]
    public void CosineWarmsUpThenDecaysAndConstantStaysPut()
    {
        var c = new LearningRateSchedule(LearningRateShape.Cosine, 0.2, RampUp: 0.1);
        Assert.Equal(0.1, c.RateAt(5, 100), 12);
        Assert.Equal(0.2, c.RateAt(10, 100), 12);
        Assert.Equal(0.1, c.RateAt(55, 100), 12);
        var rates = Enumerable.Range(10, 90).Select(i => c.RateAt(i, 100)).ToList();
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second <= p.First));
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(0.3, new LearningRateSchedule(LearningRateShape.Constant, 0.3).RateAt(i, 10)));
        Assert.Throws<ArgumentException>(() => new LearningRateSchedule(LearningRateShape.Constant, 0).Validate());
    }
}
