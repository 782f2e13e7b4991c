using Nada.Core.Adaptation;

namespace Nada.Core.Editing;

/// <summary>Invert one photo into a generator. Saved as JSON beside the result.</summary>
public sealed record InversionRequest
{
    /// <summary>The generator file (any readable format).</summary>
    public required string GeneratorPath { get; init; }
    /// <summary>The photo (PNG, JPEG, WebP, GIF, BMP).</summary>
    public required string PhotoPath { get; init; }
    /// <summary>Folder for latent.safetensors, reconstruction.png, strip.png and inversion.json.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>CLIP models for the perceptual term; empty for pixel MSE only.</summary>
    public IReadOnlyList<ClipModelChoice> ClipModels { get; init; } = [];
    /// <summary>Settings.</summary>
    public InversionOptions Options { get; init; } = new();
    /// <summary>Compute precision of the generator and CLIP (<c>--precision</c>); null = the device's default (see <see cref="Ops.PrecisionPlan.For"/>).</summary>
    public Ops.ComputePrecision? Precision { get; init; }
}

/// <summary>Where an edit starts: exactly one of a seed, a latent file or a photo.</summary>
/// <param name="Seed">A seed (z as NumPy RandomState(seed).randn, truncated by the options' psi).</param>
/// <param name="LatentPath">A latent file written by an inversion or an earlier edit.</param>
/// <param name="PhotoPath">A photo, inverted first.</param>
public sealed record EditStart(int? Seed = null, string? LatentPath = null, string? PhotoPath = null)
{
    /// <summary>Throws <see cref="ArgumentException"/> unless exactly one start is given.</summary>
    public void Validate()
    {
        int given = (Seed is null ? 0 : 1) + (LatentPath is null ? 0 : 1) + (PhotoPath is null ? 0 : 1);
        if (given != 1) throw new ArgumentException("Start an edit from exactly one of a seed, a latent file or a photo.");
        if (Seed < 0) throw new ArgumentException($"Seeds must be >= 0, got {Seed}.");
    }
}

/// <summary>Edit one image by text. Saved as JSON beside the result.</summary>
public sealed record EditRequest
{
    /// <summary>The generator to edit with: a base generator or a domain (any readable format).</summary>
    public required string GeneratorPath { get; init; }
    /// <summary>Optional: the base generator a domain was adapted from; latents made with it are accepted too.</summary>
    public string? BaseGeneratorPath { get; init; }
    /// <summary>CLIP models and weights.</summary>
    public required IReadOnlyList<ClipModelChoice> ClipModels { get; init; }
    /// <summary>What the edited image should show.</summary>
    public required string Text { get; init; }
    /// <summary>The starting point.</summary>
    public required EditStart Start { get; init; }
    /// <summary>Folder for latent.safetensors, edited.png, start.png, strip.png and edit.json.</summary>
    public required string OutputDirectory { get; init; }
    /// <summary>Latent optimisation settings.</summary>
    public LatentOptimizationOptions Options { get; init; } = new();
    /// <summary>Inversion settings, used when starting from a photo.</summary>
    public InversionOptions Inversion { get; init; } = new();
    /// <summary>Compute precision of the generator and CLIP (<c>--precision</c>); null = the device's default (see <see cref="Ops.PrecisionPlan.For"/>).</summary>
    public Ops.ComputePrecision? Precision { get; init; }
}

/// <summary>Files written by an inversion, and its reconstruction errors.</summary>
public sealed record InversionOutput(string LatentFile, string ImagePng, string StripPng, double StartMse, double FinalMse);

/// <summary>Files written by an edit, and the CLIP score before and after.</summary>
public sealed record EditOutput(string LatentFile, string ImagePng, string StripPng, double StartScore, double FinalScore);

/// <summary>
/// The one set of rules for edit and inversion requests (engine, CLI and web alike); every problem keyed by its
/// field (<see cref="Adaptation.FieldErrors"/>).
/// </summary>
public static class EditRules
{
    /// <summary>Every problem of an edit request. <paramref name="checkFiles"/>: whether named files must exist.</summary>
    public static FieldErrors Check(EditRequest r, bool checkFiles = true)
    {
        var e = new FieldErrors();
        CheckGenerator(r.GeneratorPath, checkFiles, e);
        RequestValidator.CheckClipModels(r.ClipModels, checkFiles, e);
        string text = r.Text?.Trim() ?? "";
        if (text.Length == 0)
            e.Add(nameof(r.Text), "The edit text is empty; describe the image you want, e.g. \"a smiling face\".");
        else if (Clip.ClipTokenizer.Shared.TokenCount(text) is var tokens && tokens > Clip.ClipTokenizer.DefaultContextLength)
            e.Add(nameof(r.Text), $"The edit text takes {tokens} CLIP tokens; at most {Clip.ClipTokenizer.DefaultContextLength} fit. Shorten it.");
        Capture(e, nameof(r.Start), () => r.Start.Validate());
        if (checkFiles && r.Start.LatentPath is { } latent && !File.Exists(latent)) e.Add(nameof(r.Start), $"The latent file '{latent}' does not exist.");
        if (checkFiles && r.Start.PhotoPath is { } photo && !File.Exists(photo)) e.Add(nameof(r.Start), $"The photo '{photo}' does not exist.");
        e.AddAll(r.Options.Check(), nameof(r.Options) + ".");
        if (r.Start.PhotoPath is not null) e.AddAll(r.Inversion.Check(), nameof(r.Inversion) + ".");
        if (string.IsNullOrWhiteSpace(r.OutputDirectory)) e.Add(nameof(r.OutputDirectory), "No output folder was given.");
        return e;
    }

    /// <summary>Every problem of an inversion request.</summary>
    public static FieldErrors Check(InversionRequest r, bool checkFiles = true)
    {
        var e = new FieldErrors();
        CheckGenerator(r.GeneratorPath, checkFiles, e);
        if (r.ClipModels.Count > 0) RequestValidator.CheckClipModels(r.ClipModels, checkFiles, e);
        if (string.IsNullOrWhiteSpace(r.PhotoPath) || (checkFiles && !File.Exists(r.PhotoPath)))
            e.Add(nameof(r.PhotoPath), $"The photo '{r.PhotoPath}' does not exist.");
        e.AddAll(r.Options.Check(), nameof(r.Options) + ".");
        if (string.IsNullOrWhiteSpace(r.OutputDirectory)) e.Add(nameof(r.OutputDirectory), "No output folder was given.");
        return e;
    }

    private static void CheckGenerator(string path, bool checkFiles, FieldErrors e)
    {
        if (string.IsNullOrWhiteSpace(path) || (checkFiles && !File.Exists(path)))
            e.Add("GeneratorPath", $"Generator file '{path}' does not exist.");
    }

    private static void Capture(FieldErrors e, string field, Action check)
    {
        try { check(); }
        catch (ArgumentException x) { e.Add(field, x.Message); }
    }
}
