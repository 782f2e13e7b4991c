using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Web.Engine;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>Checks a submission's fields; returns one message per bad field, keyed by field name.</summary>
public sealed class SubmitValidator(IModelCatalog catalog, IOptions<LimitsOptions> limits)
{
    public Dictionary<string, string> Validate(SubmitInput input)
    {
        var l = limits.Value;
        var errors = new Dictionary<string, string>();
        if (catalog.Generators().All(g => g.Id != input.Generator))
            errors[nameof(input.Generator)] = string.IsNullOrEmpty(input.Generator)
                ? "Choose a base generator."
                : $"Unknown base generator '{input.Generator}'; choose one from the list.";
        CheckClipChoices(catalog, input.ClipModels, input.ClipWeights, required: true, errors);

        var source = input.SourceText?.Trim() ?? "";
        var target = input.TargetText?.Trim() ?? "";
        if (source.Length == 0)
            errors[nameof(input.SourceText)] = "Describe the source domain, e.g. \"photo\".";
        else if (source.Length > l.MaxPromptLength)
            errors[nameof(input.SourceText)] = $"The source text is {source.Length} characters; at most {l.MaxPromptLength} are allowed.";
        if (target.Length == 0 && input.StyleImages.Count == 0)
            errors[nameof(input.TargetText)] = "Describe the target domain, e.g. \"pencil sketch\", or upload style images.";
        else if (target.Length > l.MaxPromptLength)
            errors[nameof(input.TargetText)] = $"The target text is {target.Length} characters; at most {l.MaxPromptLength} are allowed.";
        else if (target.Length > 0 && string.Equals(source, target, StringComparison.OrdinalIgnoreCase))
            errors[nameof(input.TargetText)] = "The target text must differ from the source text.";
        if (input.Iterations < l.MinIterations || input.Iterations > l.MaxIterations)
            errors[nameof(input.Iterations)] = $"Iterations must be between {l.MinIterations} and {l.MaxIterations}.";
        if (ValidateOptions(input.Options, l) is { } optionError)
            errors[nameof(input.Options)] = optionError;
        if (input.StyleImages.Count > l.MaxStyleImages)
            errors[nameof(input.StyleImages)] = $"{input.StyleImages.Count} style images sent; at most {l.MaxStyleImages} are allowed.";
        return errors;
    }

    /// <summary>The engine's own checks (the W+ count is checked when the run starts) plus caps for a shared GPU.</summary>
    private static string? ValidateOptions(AdaptationOptions? o, LimitsOptions l)
    {
        if (o is null) return "Advanced options are missing.";
        var max = l.MaxBatchSize;
        if (o.BatchSize > max) return $"Batch size {o.BatchSize} is too large for the shared GPU; at most {max}.";
        if (o.AutoLayerBatch > 4 * max) return $"Layer-selection batch {o.AutoLayerBatch} is too large; at most {4 * max}.";
        if (o.ImageDirectionSamples > 8 * max) return $"Image-direction samples {o.ImageDirectionSamples} is too many; at most {8 * max}.";
        if (o.PreviewSamples > 2 * max) return $"Preview samples {o.PreviewSamples} is too many; at most {2 * max}.";
        if (o.AutoLayerIters > 100) return $"Layer-selection iterations {o.AutoLayerIters} is too many; at most 100.";
        if (o.LearningRate > 1) return $"Learning rate {o.LearningRate} is too large; at most 1.";
        try { o.Validate(int.MaxValue); }
        catch (ArgumentException e) { return e.Message; }
        return null;
    }

    /// <summary>
    /// Checks chosen CLIP model ids against the catalog (known, each once, at least one when
    /// <paramref name="required"/>) and their weights (one each, in (0, 10]); errors go under "ClipModels" and "ClipWeights".
    /// </summary>
    public static void CheckClipChoices(IModelCatalog catalog, IReadOnlyList<string> ids, IReadOnlyList<float>? weights, bool required,
        Dictionary<string, string> errors)
    {
        var clips = catalog.ClipModels();
        if (ids.Count == 0 && required)
            errors[nameof(SubmitInput.ClipModels)] = "Choose at least one CLIP model.";
        else if (ids.FirstOrDefault(c => clips.All(m => m.Id != c)) is { } bad)
            errors[nameof(SubmitInput.ClipModels)] = $"Unknown CLIP model '{bad}'; choose one from the list.";
        else if (ids.Distinct().Count() != ids.Count)
            errors[nameof(SubmitInput.ClipModels)] = "Each CLIP model can be chosen once.";
        if (weights is { Count: > 0 } w)
        {
            if (w.Count != ids.Count)
                errors[nameof(SubmitInput.ClipWeights)] = "Give one weight per CLIP model.";
            else if (w.Any(x => !float.IsFinite(x) || x <= 0 || x > 10))
                errors[nameof(SubmitInput.ClipWeights)] = "CLIP weights must be between 0 (exclusive) and 10.";
        }
    }
}
