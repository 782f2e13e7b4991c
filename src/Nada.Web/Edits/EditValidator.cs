using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Options;

namespace Nada.Web.Edits;

/// <summary>Checks an edit or inversion submission's fields; one message per bad field, keyed by field name.</summary>
public sealed class EditValidator(IModelCatalog catalog, IOptions<LimitsOptions> limits)
{
    public Dictionary<string, string> Validate(EditInput input)
    {
        var l = limits.Value;
        var errors = new Dictionary<string, string>();
        var g = input.Generator ?? "";
        if (g.StartsWith("model:", StringComparison.Ordinal))
        {
            var id = g["model:".Length..];
            if (catalog.Generators().All(m => m.Id != id)) errors[nameof(input.Generator)] = $"Unknown base generator '{id}'; choose one from the list.";
        }
        else if (!(g.StartsWith("domain:", StringComparison.Ordinal) && Guid.TryParse(g["domain:".Length..], out _)))
        {
            errors[nameof(input.Generator)] = g.Length == 0 ? "Choose a generator: a base model or a gallery domain." : $"Unknown generator '{g}'; choose one from the list.";
        }

        Jobs.SubmitValidator.CheckClipChoices(catalog, input.ClipModels, input.ClipWeights, required: input.Kind == JobKind.LatentEdit, errors);

        var text = input.Text?.Trim() ?? "";
        if (input.Kind == JobKind.LatentEdit)
        {
            if (text.Length == 0) errors[nameof(input.Text)] = "Describe the image you want, e.g. \"a smiling face\".";
            else if (text.Length > l.MaxPromptLength) errors[nameof(input.Text)] = $"The text is {text.Length} characters; at most {l.MaxPromptLength} are allowed.";
        }
        var source = input.Kind == JobKind.PhotoInvert ? EditSource.Photo : input.Source;
        if (source == EditSource.Seed && input.Seed < 0) errors[nameof(input.Seed)] = $"Seeds must be >= 0, got {input.Seed}.";
        if (source == EditSource.Latent && input.LatentJobId is null) errors[nameof(input.LatentJobId)] = "Choose one of your latents.";
        if (source == EditSource.Photo && input.Photo is null) errors[nameof(input.Photo)] = "Upload a photo (PNG, JPEG or WebP).";
        if (input.Kind is not (JobKind.LatentEdit or JobKind.PhotoInvert)) errors[nameof(input.Kind)] = "An edit job is a latent edit or a photo inversion.";

        if (input.Steps < l.MinIterations || input.Steps > l.MaxIterations)
            errors[nameof(input.Steps)] = $"Steps must be between {l.MinIterations} and {l.MaxIterations}.";
        if (source == EditSource.Photo && input.Kind == JobKind.LatentEdit && (input.InversionSteps < 1 || input.InversionSteps > l.MaxIterations))
            errors[nameof(input.InversionSteps)] = $"Inversion steps must be between 1 and {l.MaxIterations}.";
        if (!double.IsFinite(input.LearningRate) || input.LearningRate <= 0 || input.LearningRate > 1)
            errors[nameof(input.LearningRate)] = $"The learning rate must be in (0, 1], got {input.LearningRate}.";
        if (!double.IsFinite(input.L2Weight) || input.L2Weight < 0 || input.L2Weight > 10)
            errors[nameof(input.L2Weight)] = $"The L2 strength must be between 0 and 10, got {input.L2Weight}.";
        if (input.PreviewEvery < 1) errors[nameof(input.PreviewEvery)] = "Show an image at least every 1 step.";
        return errors;
    }
}
