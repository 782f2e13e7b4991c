namespace Nada.Core.Adaptation;

/// <summary>One CLIP model used by the losses, with its weight in the ensemble.</summary>
/// <param name="Path">A CLIP weights file (OpenAI state dict, TorchScript archive or safetensors).</param>
/// <param name="Weight">Weight of this model's losses in the ensemble.</param>
public sealed record ClipModelChoice(string Path, float Weight = 1f);

/// <summary>What one adaptation run is asked to do. Saved as JSON beside every run checkpoint.</summary>
public sealed record AdaptationRequest
{
    /// <summary>The base generator file (any readable format).</summary>
    public required string GeneratorPath { get; init; }
    /// <summary>CLIP models for the losses.</summary>
    public required IReadOnlyList<ClipModelChoice> ClipModels { get; init; }
    /// <summary>Text describing the source domain, e.g. "photo".</summary>
    public string SourceText { get; init; } = "photo";
    /// <summary>Text describing the target domain, e.g. "sketch". May be empty when style images are given.</summary>
    public string TargetText { get; init; } = "";
    /// <summary>Example images of the target domain (image-guided mode); empty for text only.</summary>
    public IReadOnlyList<string> StyleImagePaths { get; init; } = [];
    /// <summary>Training iterations.</summary>
    public int Iterations { get; init; } = 300;
    /// <summary>Folder the run writes to: config, checkpoints, grids, the final domain.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>Every other knob, with the reference implementation's defaults.</summary>
    public AdaptationOptions Options { get; init; } = new();
}

/// <summary>The result of a finished adaptation: a domain folder in our format.</summary>
/// <param name="DomainDirectory">Folder holding the adapted generator, its config, prompts and preview.</param>
/// <param name="GeneratorFile">The adapted generator file (our format: safetensors + JSON config).</param>
/// <param name="PreviewPng">A preview grid image file.</param>
public sealed record AdaptationResult(string DomainDirectory, string GeneratorFile, string PreviewPng);
