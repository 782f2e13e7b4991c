namespace Nada.Core.Adaptation;

/// <summary>Checks an <see cref="AdaptationRequest"/> before any model loads; each problem is one clear message.</summary>
public static class RequestValidator
{
    /// <summary>Most iterations a run may ask for.</summary>
    public const int MaxIterations = 100_000;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first problem.</summary>
    public static void Validate(AdaptationRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.GeneratorPath) || !File.Exists(request.GeneratorPath))
            throw new ArgumentException($"Generator file '{request.GeneratorPath}' does not exist.");
        if (request.ClipModels.Count == 0)
            throw new ArgumentException("No CLIP model was given: name at least one CLIP weights file.");
        foreach (var clip in request.ClipModels)
        {
            if (!File.Exists(clip.Path))
                throw new ArgumentException($"CLIP weights file '{clip.Path}' does not exist.");
            if (clip.Weight < 0 || float.IsNaN(clip.Weight))
                throw new ArgumentException($"CLIP model weight for '{clip.Path}' must be 0 or positive (got {clip.Weight}).");
        }
        if (request.ClipModels.All(c => c.Weight == 0))
            throw new ArgumentException("Every CLIP model has weight 0: nothing would train.");
        bool images = request.StyleImagePaths.Count > 0;
        if (string.IsNullOrWhiteSpace(request.SourceText))
            throw new ArgumentException("The source text is empty: describe the generator's domain, e.g. \"photo\".");
        if (!images && string.IsNullOrWhiteSpace(request.TargetText))
            throw new ArgumentException("The target text is empty: describe the new domain, e.g. \"sketch\", or give style images.");
        if (!string.IsNullOrWhiteSpace(request.TargetText)
            && string.Equals(request.SourceText.Trim(), request.TargetText.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Source and target text are the same (\"{request.SourceText.Trim()}\"): the direction between them is zero.");
        if (request.Iterations is < 1 or > MaxIterations)
            throw new ArgumentException($"Iterations must be between 1 and {MaxIterations} (got {request.Iterations}).");
        if (string.IsNullOrWhiteSpace(request.OutputDirectory))
            throw new ArgumentException("No output folder was given.");
    }
}
