namespace Nada.Core.Adaptation;

/// <summary>
/// The one set of rules for an <see cref="AdaptationRequest"/>, checked before any model loads: by the engine when it
/// runs, by the CLI, and by the web app at submission (which adds only its own caps for a shared box). Every problem
/// is one message keyed by its field (<see cref="FieldErrors"/>).
/// </summary>
public static class RequestValidator
{
    /// <summary>Most iterations a run may ask for.</summary>
    public const int MaxIterations = 100_000;

    /// <summary>Largest weight of one CLIP model in the ensemble.</summary>
    public const float MaxClipWeight = 10f;

    /// <summary>Most targets one compact job may train at once.</summary>
    public const int MaxTargets = 16;

    /// <summary>Throws a <see cref="RequestValidationException"/> naming every problem.</summary>
    public static void Validate(AdaptationRequest request, int? numWs = null) => Check(request, numWs).ThrowIfInvalid();

    /// <summary>
    /// Every problem of the request. <paramref name="numWs"/>: the generator's W+ count when known (checks k);
    /// <paramref name="checkFiles"/>: whether the files named must exist (false for a submission whose uploads are
    /// not stored yet and whose models come from a catalog).
    /// </summary>
    public static FieldErrors Check(AdaptationRequest request, int? numWs = null, bool checkFiles = true)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(request.GeneratorPath) || (checkFiles && !File.Exists(request.GeneratorPath)))
            errors.Add(nameof(request.GeneratorPath), $"Generator file '{request.GeneratorPath}' does not exist.");
        CheckClipModels(request.ClipModels, checkFiles, errors);

        bool images = request.StyleImagePaths.Count > 0;
        bool truncate = request.Options.TruncatePrompts;
        string source = request.SourceText?.Trim() ?? "", target = request.TargetText?.Trim() ?? "";
        if (source.Length == 0)
            errors.Add(nameof(request.SourceText), "The source text is empty: describe the generator's domain, e.g. \"photo\".");
        else if (!truncate) CheckLength(nameof(request.SourceText), "source", source, errors);
        if (request.Targets.Count == 0)
            CheckTarget(nameof(request.TargetText), source, target, images, truncate, errors);
        else
            CheckTargets(request, source, images, truncate, errors);
        if (!Enum.IsDefined(request.Kind))
            errors.Add(nameof(request.Kind), $"Unknown domain kind {(int)request.Kind}; use Full or Compact.");
        if (request.Iterations is < 1 or > MaxIterations)
            errors.Add(nameof(request.Iterations), $"Iterations must be between 1 and {MaxIterations} (got {request.Iterations}).");
        if (checkFiles)
            foreach (var image in request.StyleImagePaths.Where(p => !File.Exists(p)))
                errors.Add(nameof(request.StyleImagePaths), $"Style image '{image}' does not exist.");
        if (string.IsNullOrWhiteSpace(request.OutputDirectory))
            errors.Add(nameof(request.OutputDirectory), "No output folder was given.");
        errors.AddAll(request.Options.Check(numWs), nameof(request.Options) + ".");
        return errors;
    }

    /// <summary>CLIP choices: at least one; each file present (when <paramref name="checkFiles"/>); weights finite, in (0, 10].</summary>
    public static void CheckClipModels(IReadOnlyList<ClipModelChoice> clips, bool checkFiles, FieldErrors errors)
    {
        if (clips.Count == 0)
            errors.Add("ClipModels", "No CLIP model was given: choose at least one.");
        foreach (var clip in clips)
        {
            if (checkFiles && !File.Exists(clip.Path))
                errors.Add("ClipModels", $"CLIP weights file '{clip.Path}' does not exist.");
            if (!float.IsFinite(clip.Weight) || clip.Weight <= 0 || clip.Weight > MaxClipWeight)
                errors.Add("ClipWeights", $"CLIP model weights must be above 0 and at most {MaxClipWeight} (got {clip.Weight} for '{Path.GetFileName(clip.Path)}').");
        }
    }

    private static void CheckTarget(string field, string source, string target, bool images, bool truncate, FieldErrors errors)
    {
        if (target.Length == 0 && !images)
            errors.Add(field, "The target text is empty: describe the new domain, e.g. \"sketch\", or give style images.");
        else if (target.Length > 0 && !truncate) CheckLength(field, "target", target, errors);
        if (source.Length > 0 && target.Length > 0 && PromptFitter.Tokens(source).SequenceEqual(PromptFitter.Tokens(target)))
            errors.Add(field, $"Source and target text are the same to CLIP (\"{source}\"): the direction between them is zero.");
    }

    /// <summary>Several targets: compact only, each a valid target, no two alike, no style images, at most <see cref="MaxTargets"/>.</summary>
    private static void CheckTargets(AdaptationRequest request, string source, bool images, bool truncate, FieldErrors errors)
    {
        const string field = nameof(request.Targets);
        var targets = request.Targets.Select(t => t?.Trim() ?? "").ToList();
        if (targets.Count > 1 && request.Kind != DomainKind.Compact)
            errors.Add(field, $"{targets.Count} targets were given: one job trains several targets only as compact domains (domain kind compact); a full domain has one target.");
        if (targets.Count > MaxTargets)
            errors.Add(field, $"At most {MaxTargets} targets fit in one job (got {targets.Count}).");
        if (targets.Count > 1 && images)
            errors.Add(field, "Style images guide one domain: give them with a single target.");
        string first = request.TargetText?.Trim() ?? "";
        if (first.Length > 0 && first != targets[0])
            errors.Add(nameof(request.TargetText), $"The target text \"{first}\" is not the first of the targets (\"{targets[0]}\"); leave it empty or give the same.");
        for (int i = 0; i < targets.Count; i++)
        {
            CheckTarget(field, source, targets[i], images && targets.Count == 1, truncate, errors);
            for (int j = 0; j < i; j++)
                if (targets[j].Length > 0 && PromptFitter.Tokens(targets[j]).SequenceEqual(PromptFitter.Tokens(targets[i])))
                    errors.Add(field, $"The target \"{targets[i]}\" is given twice; each target trains its own domain.");
        }
    }

    private static void CheckLength(string field, string which, string text, FieldErrors errors)
    {
        int tokens = PromptFitter.LongestTokenCount(text);
        if (tokens > Clip.ClipTokenizer.DefaultContextLength)
            errors.Add(field, $"The {which} text is too long for CLIP: with the prompt templates it takes {tokens} tokens, at most {Clip.ClipTokenizer.DefaultContextLength} fit. Shorten it (or allow truncation).");
    }
}
