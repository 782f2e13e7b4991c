using Nada.Core.Editing;

namespace Nada.Web.Engine;

/// <summary>Runs latent edits and photo inversions. The web app's only door to the editing engine.</summary>
public interface IEditEngine
{
    /// <summary>
    /// Optimises a latent toward a text, synchronously on the calling (job) thread, reporting each step.
    /// Throws <see cref="OperationCanceledException"/> within one step of <paramref name="ct"/> firing.
    /// </summary>
    EditOutput Edit(EditRequest request, IEditProgress progress, CancellationToken ct);

    /// <summary>Inverts a photo into a latent, synchronously on the calling (job) thread.</summary>
    InversionOutput Invert(InversionRequest request, IEditProgress progress, CancellationToken ct);
}

/// <summary>Renders a stored latent, alone or with a blend of its source generator and adapted domains.</summary>
public interface ILatentRenderer
{
    /// <summary>
    /// PNG of the latent rendered by one generator; a latent of <paramref name="baseGeneratorPath"/> (the generator a
    /// domain was adapted from) is accepted too.
    /// </summary>
    /// <exception cref="LatentMismatchException">The latent belongs to another generator.</exception>
    byte[] RenderPng(string generatorPath, string latentPath, string? baseGeneratorPath = null);

    /// <summary>
    /// PNG of the latent rendered by (1 - alpha) * source + alpha * domain, one image per domain side by side
    /// (alpha 0 = the source generator, 1 = the domain).
    /// </summary>
    /// <exception cref="LatentMismatchException">The latent was not made with the source generator.</exception>
    byte[] BlendPng(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha);
}
