namespace Nada.Core.Editing;

/// <summary>One progress report of a latent optimisation or an inversion.</summary>
/// <param name="Step">Steps done so far (1 after the first step).</param>
/// <param name="TotalSteps">Steps requested.</param>
/// <param name="Losses">Loss terms of this step by name ("total", "clip", "l2", "mse", ...).</param>
/// <param name="ClipScore">Cosine similarity of the image and the text (weighted over CLIP models); null for an inversion without CLIP.</param>
/// <param name="LearningRate">The learning rate this step ran with.</param>
/// <param name="PreviewPng">Every N steps (and at the last step): the current image as PNG bytes; otherwise null.</param>
public sealed record EditProgress(
    int Step,
    int TotalSteps,
    IReadOnlyDictionary<string, double> Losses,
    double? ClipScore,
    double LearningRate,
    byte[]? PreviewPng);

/// <summary>Receives progress of a running edit or inversion. Called synchronously on the working thread.</summary>
public interface IEditProgress
{
    /// <summary>Called after every step.</summary>
    void Report(EditProgress progress);
}

/// <summary>An <see cref="IEditProgress"/> that ignores every report.</summary>
public sealed class NoEditProgress : IEditProgress
{
    /// <summary>The shared instance.</summary>
    public static readonly NoEditProgress Instance = new();

    /// <inheritdoc/>
    public void Report(EditProgress progress) { }
}
