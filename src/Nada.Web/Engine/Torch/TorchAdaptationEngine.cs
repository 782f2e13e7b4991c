using Nada.Core.Adaptation;

namespace Nada.Web.Engine.Torch;

/// <summary>The TorchSharp engine: <see cref="DomainAdapter"/> on the calling (job) thread.</summary>
public sealed class TorchAdaptationEngine : IAdaptationEngine
{
    /// <inheritdoc />
    public AdaptationResult Run(AdaptationRequest request, IAdaptationProgress progress, CancellationToken ct, bool resume) =>
        DomainAdapter.Run(request, progress, ct, resume);

    /// <inheritdoc />
    public bool HasCheckpoint(string outputDirectory) => RunCheckpoint.Exists(outputDirectory);
}
