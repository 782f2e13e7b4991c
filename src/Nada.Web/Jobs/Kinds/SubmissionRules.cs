using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Web.Engine;
using Nada.Web.Options;

namespace Nada.Web.Jobs.Kinds;

/// <summary>
/// What every job kind checks the same way at submission, beside the engine's own rules: catalog ids of models,
/// and the caps a shared box puts on prompts and step counts. Engine error keys are mapped to form fields here.
/// </summary>
public sealed class SubmissionRules(IModelCatalog catalog, IOptions<LimitsOptions> limits)
{
    /// <summary>The limits in force.</summary>
    public LimitsOptions Limits => limits.Value;

    /// <summary>The base generator with catalog id <paramref name="id"/>, or null after adding an error for <paramref name="field"/>.</summary>
    public ModelEntry? Generator(string? id, FieldErrors errors, string field = "Generator")
    {
        var found = catalog.Generators().FirstOrDefault(g => g.Id == id);
        if (found is null)
            errors.Add(field, string.IsNullOrEmpty(id) ? "Choose a base generator." : $"Unknown base generator '{id}'; choose one from the list.");
        return found;
    }

    /// <summary>
    /// The CLIP files and weights of chosen catalog ids (each known and chosen once; one weight each when weights are
    /// given); errors under "ClipModels" and "ClipWeights". Weight ranges are the engine's rule.
    /// </summary>
    public List<ClipModelChoice> ClipChoices(IReadOnlyList<string>? ids, IReadOnlyList<float>? weights, bool required, FieldErrors errors)
    {
        ids ??= [];
        var clips = catalog.ClipModels();
        if (ids.Count == 0 && required) errors.Add("ClipModels", "Choose at least one CLIP model.");
        else if (ids.FirstOrDefault(c => clips.All(m => m.Id != c)) is { } bad) errors.Add("ClipModels", $"Unknown CLIP model '{bad}'; choose one from the list.");
        else if (ids.Distinct().Count() != ids.Count) errors.Add("ClipModels", "Each CLIP model can be chosen once.");
        if (weights is { Count: > 0 } && weights.Count != ids.Count) errors.Add("ClipWeights", "Give one weight per CLIP model.");
        return ids.Select((id, i) => new ClipModelChoice(
            clips.FirstOrDefault(m => m.Id == id)?.Path ?? "", weights is { Count: > 0 } w && i < w.Count ? w[i] : 1f)).ToList();
    }

    /// <summary>The CLIP files of a stored job's ids; a model removed since submission is a clear error.</summary>
    public List<ClipModelChoice> ClipChoicesForRun(IReadOnlyList<string> ids, IReadOnlyList<float> weights) =>
        ids.Select((id, i) => new ClipModelChoice(
            catalog.ClipModels().FirstOrDefault(c => c.Id == id)?.Path
                ?? throw new InvalidOperationException($"The CLIP model '{id}' is no longer in the models folder."),
            weights.Count > i ? weights[i] : 1f)).ToList();

    /// <summary>The base generator file of a stored job; removed since submission is a clear error.</summary>
    public string GeneratorForRun(string id) =>
        catalog.Generators().FirstOrDefault(g => g.Id == id)?.Path
        ?? throw new InvalidOperationException($"The base generator '{id}' is no longer in the models folder.");

    /// <summary>The file of a catalog generator, or null when it is gone.</summary>
    public string? GeneratorOrNull(string id) => catalog.Generators().FirstOrDefault(g => g.Id == id)?.Path;

    /// <summary>The web's cap on prompt length in characters (the engine checks CLIP's token limit).</summary>
    public void CheckPromptLength(string field, string what, string? text, FieldErrors errors)
    {
        int n = text?.Trim().Length ?? 0;
        if (n > Limits.MaxPromptLength) errors.Add(field, $"The {what} is {n} characters; at most {Limits.MaxPromptLength} are allowed.");
    }

    /// <summary>The web's cap on steps.</summary>
    public void CheckSteps(string field, string what, int steps, FieldErrors errors)
    {
        if (steps < Limits.MinIterations || steps > Limits.MaxIterations)
            errors.Add(field, $"{what} must be between {Limits.MinIterations} and {Limits.MaxIterations} (got {steps}).");
    }

    /// <summary>
    /// Adds the engine's errors under form field names: request properties that name files become the catalog choice
    /// they came from (GeneratorPath -> Generator, StyleImagePaths -> StyleImages); the rest keep their names.
    /// </summary>
    public static void AddEngineErrors(FieldErrors engine, FieldErrors errors)
    {
        foreach (var (key, message) in engine)
        {
            string field = key switch
            {
                "GeneratorPath" => "Generator",
                "StyleImagePaths" => "StyleImages",
                "OutputDirectory" => "",
                _ => key,
            };
            errors.Add(field, message);
        }
    }
}
