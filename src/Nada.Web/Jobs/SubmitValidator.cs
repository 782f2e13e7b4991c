using Microsoft.Extensions.Options;
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
        var clips = catalog.ClipModels();
        if (input.ClipModels.Count == 0)
            errors[nameof(input.ClipModels)] = "Choose at least one CLIP model.";
        else if (input.ClipModels.FirstOrDefault(c => clips.All(m => m.Id != c)) is { } bad)
            errors[nameof(input.ClipModels)] = $"Unknown CLIP model '{bad}'; choose one from the list.";
        else if (input.ClipModels.Distinct().Count() != input.ClipModels.Count)
            errors[nameof(input.ClipModels)] = "Each CLIP model can be chosen once.";
        if (input.ClipWeights is { Count: > 0 } w)
        {
            if (w.Count != input.ClipModels.Count)
                errors[nameof(input.ClipWeights)] = "Give one weight per CLIP model.";
            else if (w.Any(x => !float.IsFinite(x) || x <= 0 || x > 10))
                errors[nameof(input.ClipWeights)] = "CLIP weights must be between 0 (exclusive) and 10.";
        }

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
        if (input.StyleImages.Count > l.MaxStyleImages)
            errors[nameof(input.StyleImages)] = $"{input.StyleImages.Count} style images sent; at most {l.MaxStyleImages} are allowed.";
        return errors;
    }
}
