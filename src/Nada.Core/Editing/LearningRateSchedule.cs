namespace Nada.Core.Editing;

/// <summary>How the learning rate changes over an optimisation.</summary>
public enum LearningRateShape
{
    /// <summary>The initial rate at every step.</summary>
    Constant,
    /// <summary>Linear warm-up over the first <c>RampUp</c> fraction, then cosine decay to zero.</summary>
    Cosine,
    /// <summary>NVIDIA's projector schedule (also StyleCLIP's): linear ramp-up over <c>RampUp</c>, cosine ramp-down over the last <c>RampDown</c> fraction.</summary>
    RampUpDown,
}

/// <summary>A learning-rate schedule: shape, initial rate and ramp lengths (fractions of the run).</summary>
/// <param name="Shape">The curve.</param>
/// <param name="InitialRate">Peak learning rate.</param>
/// <param name="RampUp">Fraction of the run spent warming up (0 = none).</param>
/// <param name="RampDown">Fraction of the run spent ramping down (<see cref="LearningRateShape.RampUpDown"/> only).</param>
public sealed record LearningRateSchedule(LearningRateShape Shape, double InitialRate, double RampUp = 0.05, double RampDown = 0.25)
{
    /// <summary>The rate for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public double RateAt(int step, int totalSteps)
    {
        double t = totalSteps <= 1 ? 0 : (double)step / totalSteps;     // progress in [0, 1)
        double warm = RampUp > 0 ? Math.Min(1.0, t / RampUp) : 1.0;
        return Shape switch
        {
            LearningRateShape.Constant => InitialRate,
            LearningRateShape.Cosine => InitialRate * (t < RampUp ? warm : 0.5 * (1 + Math.Cos(Math.PI * (t - RampUp) / Math.Max(1e-12, 1 - RampUp)))),
            LearningRateShape.RampUpDown => InitialRate * warm * (0.5 - 0.5 * Math.Cos(Math.PI * Math.Min(1.0, (1 - t) / Math.Max(1e-12, RampDown)))),
            _ => throw new ArgumentOutOfRangeException(nameof(Shape)),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming a bad value.</summary>
    public void Validate()
    {
        if (!double.IsFinite(InitialRate) || InitialRate <= 0 || InitialRate > 1) throw new ArgumentException($"The learning rate must be above 0 and at most 1, got {InitialRate}.");
        if (RampUp is < 0 or >= 1 || RampDown is <= 0 or > 1) throw new ArgumentException($"Learning-rate ramps must be fractions of the run (ramp-up {RampUp}, ramp-down {RampDown}).");
    }
}
