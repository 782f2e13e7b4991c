using Nada.Web.Data;
using Nada.Web.Jobs;

namespace Nada.Web.Edits;

/// <summary>Where a latent edit starts.</summary>
public enum EditSource
{
    /// <summary>A seed of the generator.</summary>
    Seed,
    /// <summary>The latent of an earlier edit or inversion job.</summary>
    Latent,
    /// <summary>An uploaded photo, inverted first.</summary>
    Photo,
}

/// <summary>What a user asked an edit or inversion job to do, as stored with the job.</summary>
public sealed record EditSpec
{
    /// <summary>Base generator id from the model catalog; null when <see cref="DomainId"/> is set.</summary>
    public string? Generator { get; init; }
    /// <summary>A gallery domain to edit with instead of a base generator.</summary>
    public Guid? DomainId { get; init; }
    /// <summary>CLIP model ids from the catalog (an inversion may have none).</summary>
    public IReadOnlyList<string> ClipModels { get; init; } = [];
    /// <summary>Weights of the CLIP models, same order; empty means 1 each.</summary>
    public IReadOnlyList<float> ClipWeights { get; init; } = [];
    /// <summary>The edit's text (empty for an inversion).</summary>
    public string Text { get; init; } = "";
    public EditSource Source { get; init; }
    public int? Seed { get; init; }
    /// <summary>The job whose latent the edit starts from.</summary>
    public Guid? LatentJobId { get; init; }
    /// <summary>The sanitised photo, relative to the data folder.</summary>
    public string? Photo { get; init; }
    /// <summary>Optimisation steps of the edit, or of the inversion for a photo-invert job.</summary>
    public int Steps { get; init; }
    public double LearningRate { get; init; } = 0.1;
    public double L2Weight { get; init; } = 0.008;
    /// <summary>Inversion steps before an edit that starts from a photo.</summary>
    public int InversionSteps { get; init; } = 100;
    /// <summary>A live image every this many steps.</summary>
    public int PreviewEvery { get; init; } = 5;

    /// <summary>Steps of the whole job: the inversion's first when an edit starts from a photo.</summary>
    public int TotalStepsFor(JobKind kind) => kind == JobKind.LatentEdit && Source == EditSource.Photo ? InversionSteps + Steps : Steps;

    /// <summary>A title for job lists.</summary>
    public string TitleFor(JobKind kind) => kind == JobKind.PhotoInvert
        ? "invert photo"
        : $"edit: {Text}";
}

/// <summary>An edit or inversion submission before validation: what the form or the API sent.</summary>
public sealed class EditInput
{
    public JobKind Kind { get; set; } = JobKind.LatentEdit;
    /// <summary>"model:ID" for a base generator of the catalog or "domain:GUID" for a gallery domain.</summary>
    public string Generator { get; set; } = "";
    public List<string> ClipModels { get; set; } = [];
    public List<float>? ClipWeights { get; set; }
    public string Text { get; set; } = "";
    public EditSource Source { get; set; } = EditSource.Seed;
    public int Seed { get; set; }
    public Guid? LatentJobId { get; set; }
    public UploadedImage? Photo { get; set; }
    public int Steps { get; set; } = 50;
    public double LearningRate { get; set; } = 0.1;
    public double L2Weight { get; set; } = 0.008;
    public int InversionSteps { get; set; } = 100;
    public int PreviewEvery { get; set; } = 5;

    /// <summary>The generator choice for a base model.</summary>
    public static string ModelChoice(string id) => "model:" + id;

    /// <summary>The generator choice for a gallery domain.</summary>
    public static string DomainChoice(Guid id) => "domain:" + id.ToString("D");
}

/// <summary>Reads the total step count and title of any job kind from its stored spec.</summary>
public static class JobSpecs
{
    /// <summary>Steps the job runs (iterations of an adaptation, steps of an edit or inversion).</summary>
    public static int TotalSteps(JobRecord job) => job.Kind == JobKind.Adaptation
        ? System.Text.Json.JsonSerializer.Deserialize<JobSpec>(job.SpecJson)!.Iterations
        : System.Text.Json.JsonSerializer.Deserialize<EditSpec>(job.SpecJson)!.TotalStepsFor(job.Kind);
}
