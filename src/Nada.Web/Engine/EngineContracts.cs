using Nada.Core.Adaptation;

namespace Nada.Web.Engine;

/// <summary>Runs one adaptation. The web app's only door to the training engine.</summary>
public interface IAdaptationEngine
{
    /// <summary>
    /// Trains synchronously on the calling thread (TorchSharp dispose scopes are thread-static), reporting
    /// progress as it goes. Throws <see cref="OperationCanceledException"/> within one step of <paramref name="ct"/> firing.
    /// </summary>
    /// <param name="request">What to train.</param>
    /// <param name="progress">Receives progress reports, on the calling thread.</param>
    /// <param name="ct">Cancels the run within one step.</param>
    /// <param name="resume">Continue from the checkpoint in <see cref="AdaptationRequest.OutputDirectory"/>.</param>
    AdaptationResult Run(AdaptationRequest request, IAdaptationProgress progress, CancellationToken ct, bool resume);

    /// <summary>Whether a run folder holds a checkpoint that <see cref="Run"/> can resume from.</summary>
    bool HasCheckpoint(string outputDirectory);
}

/// <summary>Draws images from an adapted generator.</summary>
public interface IDomainSampler
{
    /// <summary>One PNG per seed.</summary>
    IReadOnlyList<byte[]> SamplePng(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi);
}

/// <summary>A model file offered on the submit page.</summary>
/// <param name="Id">Path relative to its catalog folder; what forms and the API send.</param>
/// <param name="Name">Display name.</param>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="SizeBytes">File size.</param>
public sealed record ModelEntry(string Id, string Name, string Path, long SizeBytes);

/// <summary>The model files in the models folder.</summary>
public interface IModelCatalog
{
    IReadOnlyList<ModelEntry> Generators();
    IReadOnlyList<ModelEntry> ClipModels();
}
