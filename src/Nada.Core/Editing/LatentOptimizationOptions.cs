using System.Text.Json.Serialization;
using Nada.Core.Generators;

namespace Nada.Core.Editing;

/// <summary>
/// Settings of text-driven latent optimisation (StyleCLIP-style). Defaults follow StyleCLIP's optimisation
/// script: 300 steps, Adam at 0.1 with NVIDIA's ramp-up/ramp-down, L2 weight 0.008, truncation 0.7 for seeds.
/// Saved as JSON beside every result.
/// </summary>
public sealed record LatentOptimizationOptions
{
    /// <summary>Optimisation steps.</summary>
    public int Steps { get; init; } = 300;
    /// <summary>Peak learning rate of Adam on W+.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Learning-rate curve.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public LearningRateShape Schedule { get; init; } = LearningRateShape.RampUpDown;
    /// <summary>Fraction of the run spent warming up.</summary>
    public double RampUp { get; init; } = 0.05;
    /// <summary>Fraction of the run spent ramping down (RampUpDown only).</summary>
    public double RampDown { get; init; } = 0.25;
    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Form of the text loss.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public ClipTextLossForm LossForm { get; init; } = ClipTextLossForm.Cosine;
    /// <summary>Weight of the L2 pull toward the starting latent: L2Weight * sum((W+ - W+_start)^2).</summary>
    public double L2Weight { get; init; } = 0.008;
    /// <summary>From a photo: weight of the CLIP image-feature distance to the photo (0 = off).</summary>
    public double PhotoWeight { get; init; } = 0.0;
    /// <summary>Steps between preview images in progress reports (the last step always has one).</summary>
    public int PreviewEvery { get; init; } = 10;
    /// <summary>Truncation psi when starting from a seed.</summary>
    public float TruncationPsi { get; init; } = 0.7f;
    /// <summary>Noise inputs while rendering.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public NoiseMode Noise { get; init; } = NoiseMode.Const;

    /// <summary>The learning-rate schedule these options describe.</summary>
    [JsonIgnore]
    public LearningRateSchedule LearningRateSchedule => new(Schedule, LearningRate, RampUp, RampDown);

    /// <summary>Throws a <see cref="Adaptation.RequestValidationException"/> naming every bad value.</summary>
    public LatentOptimizationOptions Validate()
    {
        Check().ThrowIfInvalid();
        return this;
    }

    /// <summary>Every bad value, keyed by property name.</summary>
    public Adaptation.FieldErrors Check()
    {
        var e = new Adaptation.FieldErrors();
        if (Steps < 1 || Steps > 100_000) e.Add(nameof(Steps), $"Steps must be between 1 and 100000, got {Steps}.");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 1) e.Add(nameof(LearningRate), $"The learning rate must be above 0 and at most 1, got {LearningRate}.");
        if (RampUp is < 0 or >= 1 || RampDown is <= 0 or > 1 || !double.IsFinite(RampUp) || !double.IsFinite(RampDown))
            e.Add(nameof(RampUp), $"Learning-rate ramps must be fractions of the run (ramp-up {RampUp}, ramp-down {RampDown}).");
        if (!Enum.IsDefined(Schedule)) e.Add(nameof(Schedule), $"Unknown learning-rate schedule {(int)Schedule}.");
        if (!Enum.IsDefined(LossForm)) e.Add(nameof(LossForm), $"Unknown loss form {(int)LossForm}.");
        if (!Enum.IsDefined(Noise)) e.Add(nameof(Noise), $"Unknown noise mode {(int)Noise}.");
        if (!double.IsFinite(L2Weight) || L2Weight < 0 || L2Weight > 10) e.Add(nameof(L2Weight), $"The L2 strength must be between 0 and 10, got {L2Weight}.");
        if (!double.IsFinite(PhotoWeight) || PhotoWeight < 0 || PhotoWeight > 100) e.Add(nameof(PhotoWeight), $"The photo weight must be between 0 and 100, got {PhotoWeight}.");
        if (PreviewEvery < 1) e.Add(nameof(PreviewEvery), $"Show an image at least every 1 step (got {PreviewEvery}).");
        if (!double.IsFinite(Beta1) || !double.IsFinite(Beta2) || Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) e.Add(nameof(Beta1), "Adam betas must be in [0, 1).");
        if (!float.IsFinite(TruncationPsi) || TruncationPsi is < 0 or > 2) e.Add(nameof(TruncationPsi), $"Truncation must be between 0 and 2, got {TruncationPsi}.");
        return e;
    }
}
