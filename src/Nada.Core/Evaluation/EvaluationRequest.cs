using System.Text.Json.Serialization;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;

namespace Nada.Core.Evaluation;

/// <summary>What to score: a domain (compact mix or full) of a base generator, with one evaluator CLIP, toward a text.</summary>
public sealed record EvaluationRequest
{
    /// <summary>Most samples one evaluation may render.</summary>
    public const int MaxSamples = 10_000;

    /// <summary>The base generator file.</summary>
    public required string GeneratorPath { get; init; }
    /// <summary>
    /// The domain: compact domain files with strengths (their mix is scored), or one full domain generator file with
    /// its blend strength (1 = the adapted generator). Empty: the base generator itself is scored.
    /// </summary>
    public IReadOnlyList<DomainWeight> Domains { get; init; } = [];
    /// <summary>The evaluator CLIP file (preferably one the domain was not trained with).</summary>
    public required string ClipPath { get; init; }
    /// <summary>The text the domain should look like, e.g. "sketch".</summary>
    public required string TargetText { get; init; }
    /// <summary>The base generator's domain, e.g. "photo" (for the directional score).</summary>
    public string SourceText { get; init; } = "photo";
    /// <summary>Samples rendered (base and domain alike); at least 2 (diversity compares pairs).</summary>
    public int Samples { get; init; } = 64;
    /// <summary>First seed: samples use seeds Seed .. Seed + Samples - 1 (z as NumPy's RandomState(seed).randn).</summary>
    public int Seed { get; init; }
    /// <summary>Truncation psi of the samples (1 = none, as HyperDomainNet's evaluation).</summary>
    public float Truncation { get; init; } = 1f;
    /// <summary>Images rendered per forward pass.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Every problem of the request, keyed by field (files must exist).</summary>
    public FieldErrors Check()
    {
        var e = new FieldErrors();
        if (string.IsNullOrWhiteSpace(GeneratorPath) || !File.Exists(GeneratorPath))
            e.Add(nameof(GeneratorPath), $"Generator file '{GeneratorPath}' does not exist.");
        if (string.IsNullOrWhiteSpace(ClipPath) || !File.Exists(ClipPath))
            e.Add(nameof(ClipPath), $"CLIP weights file '{ClipPath}' does not exist.");
        foreach (var d in Domains)
        {
            if (!File.Exists(d.File)) e.Add(nameof(Domains), $"Domain file '{d.File}' does not exist.");
            else if (!float.IsFinite(d.Alpha) || Math.Abs(d.Alpha) > DomainMix.MaxAbsAlpha)
                e.Add(nameof(Domains), $"The strength of '{Path.GetFileName(d.File)}' must be between -{DomainMix.MaxAbsAlpha} and {DomainMix.MaxAbsAlpha} (got {d.Alpha}).");
        }
        if (string.IsNullOrWhiteSpace(TargetText)) e.Add(nameof(TargetText), "The target text is empty: say what the domain should look like, e.g. \"sketch\".");
        if (string.IsNullOrWhiteSpace(SourceText)) e.Add(nameof(SourceText), "The source text is empty: describe the base generator's domain, e.g. \"photo\".");
        if (Samples is < 2 or > MaxSamples) e.Add(nameof(Samples), $"Samples must be between 2 and {MaxSamples} (got {Samples}).");
        if (Seed < 0 || (long)Seed + Samples > int.MaxValue) e.Add(nameof(Seed), $"Seeds must lie in [0, 2^31) (got {Seed}).");
        if (!float.IsFinite(Truncation) || Truncation is < 0 or > 2) e.Add(nameof(Truncation), $"Truncation must be between 0 and 2 (got {Truncation}).");
        if (BatchSize is < 1 or > 256) e.Add(nameof(BatchSize), $"Batch size must be between 1 and 256 (got {BatchSize}).");
        return e;
    }
}

/// <summary>What was scored.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EvaluatedKind>))]
public enum EvaluatedKind
{
    /// <summary>The base generator alone.</summary>
    Base,
    /// <summary>A mix of compact domains.</summary>
    Compact,
    /// <summary>A full domain generator (blended with the base at its strength).</summary>
    Full,
}

/// <summary>
/// CLIP-only scores of a domain, as the literature computes them without ground truth (HyperDomainNet's
/// <c>core/evaluation.py</c>), plus StyleGAN-NADA's directional similarity.
/// </summary>
/// <param name="Quality">Mean cosine between each domain sample's CLIP image embedding and the embedding of "A {target}".</param>
/// <param name="Diversity">Mean (1 - cosine) between the image embeddings of every pair of domain samples.</param>
/// <param name="Directional">Mean cosine between each pair's image change (domain minus base embedding, normalised) and the template-averaged text direction source -> target; 0 for an unchanged sample.</param>
/// <param name="BaseQuality">Quality of the base generator's samples toward the target (a reference point).</param>
/// <param name="BaseDiversity">Diversity of the base generator's samples.</param>
/// <param name="Kind">What was scored.</param>
/// <param name="Samples">Samples rendered.</param>
/// <param name="Seed">First seed.</param>
/// <param name="Truncation">Truncation psi.</param>
/// <param name="Evaluator">The evaluator CLIP's file name.</param>
/// <param name="EvaluatorSha256">Its SHA-256.</param>
/// <param name="EvaluatorUsedInTraining">Whether the domain was trained with the evaluator CLIP (null: its training CLIPs are not recorded).</param>
/// <param name="Note">One sentence on the evaluator's independence, for people.</param>
public sealed record DomainScores(
    double Quality,
    double Diversity,
    double Directional,
    double BaseQuality,
    double BaseDiversity,
    EvaluatedKind Kind,
    int Samples,
    int Seed,
    float Truncation,
    string Evaluator,
    string EvaluatorSha256,
    bool? EvaluatorUsedInTraining,
    string Note);
