using System.Text.Json.Serialization;

namespace Nada.Core.Editing;

/// <summary>Which latent an inversion optimises.</summary>
public enum LatentSpace
{
    /// <summary>One w [WDim] shared by every layer (closest to the generator's distribution).</summary>
    W,
    /// <summary>One w per layer, [NumWs, WDim] (reconstructs more closely, edits less cleanly).</summary>
    WPlus,
}

/// <summary>Where an inversion starts.</summary>
public enum InversionStart
{
    /// <summary>The mean of the mapping network over <see cref="InversionOptions.MeanSamples"/> seeded z.</summary>
    MappingMean,
    /// <summary>The checkpoint's stored average W (<c>latent_avg</c> / <c>w_avg</c>).</summary>
    LatentAvg,
}

/// <summary>
/// Settings of optimisation-based photo inversion, after NVIDIA's projector: Adam with ramp-up/ramp-down, noise
/// added to w that fades over the first part of the run, pixel MSE plus a CLIP perceptual term. The noise
/// inputs stay the generator's stored constant noise (they are not optimised, so a latent alone reproduces
/// its image). Saved as JSON beside every result.
/// </summary>
public sealed record InversionOptions
{
    /// <summary>Optimisation steps.</summary>
    public int Steps { get; init; } = 500;
    /// <summary>W or W+.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public LatentSpace Space { get; init; } = LatentSpace.WPlus;
    /// <summary>Starting latent.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public InversionStart Start { get; init; } = InversionStart.MappingMean;
    /// <summary>z samples averaged for <see cref="InversionStart.MappingMean"/> and for the spread of w.</summary>
    public int MeanSamples { get; init; } = 512;
    /// <summary>Peak learning rate (NVIDIA: 0.1).</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Fraction of the run spent ramping the rate up (NVIDIA: 0.05).</summary>
    public double RampUp { get; init; } = 0.05;
    /// <summary>Fraction of the run spent ramping it down (NVIDIA: 0.25).</summary>
    public double RampDown { get; init; } = 0.25;
    /// <summary>Noise added to w at the start, as a fraction of w's spread (NVIDIA: 0.05).</summary>
    public double InitialNoiseFactor { get; init; } = 0.05;
    /// <summary>Fraction of the run over which that noise fades to zero (NVIDIA: 0.75).</summary>
    public double NoiseRampLength { get; init; } = 0.75;
    /// <summary>Weight of the pixel mean squared error.</summary>
    public double MseWeight { get; init; } = 1.0;
    /// <summary>Weight of the CLIP image-feature distance (used when CLIP models are given).</summary>
    public double PerceptualWeight { get; init; } = 0.5;
    /// <summary>Steps between preview images.</summary>
    public int PreviewEvery { get; init; } = 25;
    /// <summary>Seed of the mean-W samples and of the w noise.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Throws a <see cref="Adaptation.RequestValidationException"/> naming every bad value.</summary>
    public InversionOptions Validate()
    {
        Check().ThrowIfInvalid();
        return this;
    }

    /// <summary>Every bad value, keyed by property name.</summary>
    public Adaptation.FieldErrors Check()
    {
        var e = new Adaptation.FieldErrors();
        if (Steps < 1 || Steps > 100_000) e.Add(nameof(Steps), $"Inversion steps must be between 1 and 100000, got {Steps}.");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 1) e.Add(nameof(LearningRate), $"The learning rate must be above 0 and at most 1, got {LearningRate}.");
        if (RampUp is < 0 or >= 1 || RampDown is <= 0 or > 1 || !double.IsFinite(RampUp) || !double.IsFinite(RampDown))
            e.Add(nameof(RampUp), $"Learning-rate ramps must be fractions of the run (ramp-up {RampUp}, ramp-down {RampDown}).");
        if (!Enum.IsDefined(Space)) e.Add(nameof(Space), $"Unknown latent space {(int)Space}; use W or WPlus.");
        if (!Enum.IsDefined(Start)) e.Add(nameof(Start), $"Unknown start {(int)Start}.");
        if (MeanSamples < 1 || MeanSamples > 100_000) e.Add(nameof(MeanSamples), $"MeanSamples must be between 1 and 100000, got {MeanSamples}.");
        if (!double.IsFinite(InitialNoiseFactor) || InitialNoiseFactor < 0) e.Add(nameof(InitialNoiseFactor), $"InitialNoiseFactor must be >= 0, got {InitialNoiseFactor}.");
        if (!double.IsFinite(NoiseRampLength) || NoiseRampLength is <= 0 or > 1) e.Add(nameof(NoiseRampLength), $"NoiseRampLength must be in (0, 1], got {NoiseRampLength}.");
        if (!double.IsFinite(MseWeight) || MseWeight < 0 || !double.IsFinite(PerceptualWeight) || PerceptualWeight < 0 || MseWeight + PerceptualWeight == 0)
            e.Add(nameof(MseWeight), "Inversion loss weights must be >= 0 and not both 0.");
        if (PreviewEvery < 1) e.Add(nameof(PreviewEvery), $"Show an image at least every 1 step (got {PreviewEvery}).");
        return e;
    }
}
