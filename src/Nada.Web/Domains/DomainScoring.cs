using System.Text.Json;
using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Evaluation;
using Nada.Core.Runs;
using Nada.Core.Service;
using Nada.Web.Engine;
using Nada.Web.Options;

namespace Nada.Web.Domains;

/// <summary>
/// Scores a finished domain with the admin's evaluator CLIP (<c>Evaluation:*</c>) through <see cref="IDomainEvaluator"/>:
/// quality, diversity and direction, stored as JSON on the domain. Scores are an extra: a failure is logged and leaves
/// the domain unscored (cancellation still cancels).
/// </summary>
public sealed class DomainScoring(IDomainEvaluator evaluator, IModelCatalog catalog, IOptions<EvaluationOptions> options, ILogger<DomainScoring> log)
{
    private static readonly JsonSerializerOptions Json = new();

    /// <summary>The scores as stored JSON, or null (disabled, no evaluator CLIP, or the evaluation failed).</summary>
    /// <param name="baseGeneratorFile">The base generator.</param>
    /// <param name="kind">Full: <paramref name="domainFile"/> is the adapted generator; compact: its offsets.</param>
    /// <param name="domainFile">The domain file.</param>
    /// <param name="sourceText">The source text.</param>
    /// <param name="targetText">The target text (empty, for a domain guided by images alone: not scored).</param>
    /// <param name="context">The job's context: its token and broker hook (its progress is not touched).</param>
    public string? Score(string baseGeneratorFile, DomainKind kind, string domainFile, string sourceText, string targetText, RunContext context)
    {
        var o = options.Value;
        if (!o.Enabled) return null;
        if (string.IsNullOrWhiteSpace(targetText)) return null;     // image-guided without a text: no text to score toward
        var clips = catalog.ClipModels();
        var clip = (o.ClipModel.Length > 0 ? clips.FirstOrDefault(c => c.Id == o.ClipModel) : clips.FirstOrDefault())?.Path;
        if (clip is null)
        {
            log.LogWarning("No evaluator CLIP ('{Clip}') in the catalog: domain {File} is not scored.", o.ClipModel, domainFile);
            return null;
        }
        var request = new EvaluationRequest
        {
            GeneratorPath = baseGeneratorFile,
            Domains = [new DomainWeight(domainFile, 1f)],
            ClipPath = clip,
            SourceText = string.IsNullOrWhiteSpace(sourceText) ? "photo" : sourceText,
            TargetText = targetText,
            Samples = o.Samples,
            Seed = o.Seed,
            BatchSize = Math.Min(8, o.Samples),
        };
        try
        {
            var scores = evaluator.Evaluate(request, context with { Progress = NoRunProgress.Instance });
            return JsonSerializer.Serialize(scores, Json);
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            log.LogWarning(e, "Scoring the {Kind} domain {File} failed; it stays unscored.", kind, domainFile);
            return null;
        }
    }

    /// <summary>Stored scores, or null.</summary>
    public static DomainScores? Read(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try { return JsonSerializer.Deserialize<DomainScores>(json, Json); }
        catch (JsonException) { return null; }
    }
}
