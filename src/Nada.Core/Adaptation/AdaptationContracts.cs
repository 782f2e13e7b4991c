using System.Text.Json.Serialization;

namespace Nada.Core.Adaptation;

/// <summary>What an adaptation produces.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DomainKind>))]
public enum DomainKind
{
    /// <summary>A fine-tuned copy of the generator (StyleGAN-NADA): a generator file per domain.</summary>
    Full,
    /// <summary>
    /// Per-channel offsets of the base generator's modulated convolutions (HyperDomainNet's domain modulation): a
    /// small file per target that needs its base generator (see <see cref="Compact.CompactDomain"/>).
    /// </summary>
    Compact,
}

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
    /// <summary>What the run produces: a full domain (default) or compact ones.</summary>
    public DomainKind Kind { get; init; } = DomainKind.Full;
    /// <summary>
    /// Several target texts, one compact domain each, trained in the same steps (compact only). Empty: the one target
    /// <see cref="TargetText"/>. When given, <see cref="TargetText"/> is empty or the first of them.
    /// </summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>The run's targets: <see cref="Targets"/>, or <see cref="TargetText"/> alone.</summary>
    [JsonIgnore] public IReadOnlyList<string> TargetTexts => Targets.Count > 0 ? Targets : [TargetText];
}

/// <summary>One compact domain written by a run.</summary>
/// <param name="Target">Its target text (empty for an image-guided domain without one).</param>
/// <param name="File">The compact domain file (<c>.safetensors</c>, read with <see cref="Compact.CompactDomainFile"/>).</param>
/// <param name="PreviewPng">Base row over this domain's row.</param>
public sealed record CompactDomainResult(string Target, string File, string PreviewPng);

/// <summary>The result of a finished adaptation: a domain folder in our format.</summary>
/// <param name="DomainDirectory">Folder holding the adapted generator (or the compact domains), prompts and preview.</param>
/// <param name="GeneratorFile">
/// Full: the adapted generator file (our format: safetensors + JSON config). Compact: the first target's compact
/// domain file (not a generator: render it with its base generator, see <paramref name="CompactDomains"/>).
/// </param>
/// <param name="PreviewPng">A preview grid image file (compact: the base row, then one row per target).</param>
/// <param name="Kind">Full or compact.</param>
/// <param name="CompactDomains">Compact runs: every target's domain file, in target order; null for a full run.</param>
public sealed record AdaptationResult(string DomainDirectory, string GeneratorFile, string PreviewPng,
    DomainKind Kind = DomainKind.Full, IReadOnlyList<CompactDomainResult>? CompactDomains = null);
