namespace Nada.Core.Editing;

/// <summary>One step of a latent optimisation or an inversion, as the loop computed it.</summary>
/// <param name="Step">Steps done so far (1 after the first step).</param>
/// <param name="TotalSteps">Steps requested.</param>
/// <param name="Losses">Loss terms of this step by name ("total", "clip", "l2", "mse", ...).</param>
/// <param name="ClipScore">Cosine similarity of the image and the text (weighted over CLIP models); null for an inversion without CLIP.</param>
/// <param name="LearningRate">The learning rate this step ran with.</param>
/// <param name="PreviewPng">When asked for: the current image as PNG bytes (the reporter writes it to the run folder once).</param>
public sealed record EditProgress(
    int Step,
    int TotalSteps,
    IReadOnlyDictionary<string, double> Losses,
    double? ClipScore,
    double LearningRate,
    byte[]? PreviewPng)
{
    /// <summary>Name of the CLIP score in reported values.</summary>
    public const string ClipScoreName = "clip_score";

    /// <summary>Name of the learning rate in reported values.</summary>
    public const string LearningRateName = "lr";

    /// <summary>The values a step reports: the losses, the CLIP score (when there is one) and the learning rate.</summary>
    public IReadOnlyDictionary<string, double> Values()
    {
        var values = new Dictionary<string, double>(Losses);
        if (ClipScore is { } score) values[ClipScoreName] = score;
        values[LearningRateName] = LearningRate;
        return values;
    }
}
