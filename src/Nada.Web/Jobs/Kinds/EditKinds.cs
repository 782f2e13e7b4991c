using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Nada.Core.Adaptation;
using Nada.Core.Editing;
using Nada.Core.Service;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Edits;
using Nada.Web.Images;
using Nada.Web.Options;
using Nada.Web.Security;

namespace Nada.Web.Jobs.Kinds;

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

/// <summary>An edit or inversion as submitted (the form or the API), not yet trusted.</summary>
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

/// <summary>An edit or inversion as stored with its job.</summary>
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
    /// <summary>The sanitised photo: "inputs/photo.png" in the run folder (older jobs: relative to the data folder).</summary>
    public string? Photo { get; init; }
    /// <summary>Optimisation steps of the edit, or of the inversion for a photo-invert job.</summary>
    public int Steps { get; init; }
    public double LearningRate { get; init; } = 0.1;
    public double L2Weight { get; init; } = 0.008;
    /// <summary>Inversion steps before an edit that starts from a photo.</summary>
    public int InversionSteps { get; init; } = 100;
    /// <summary>A live image every this many steps.</summary>
    public int PreviewEvery { get; init; } = 5;
}

/// <summary>What latent edits and photo inversions share: generator choice (base model or domain), CLIP choice, photo upload.</summary>
public abstract class EditKindBase(
    SubmissionRules rules,
    StyleImageSanitizer sanitizer,
    IDbContextFactory<NadaDbContext> dbFactory,
    DomainService domains,
    EditResults results,
    DataPaths paths) : JobKind<EditInput, EditSpec>
{
    protected const string PhotoName = "inputs/photo.png";

    protected SubmissionRules Rules => rules;
    protected EditResults Results => results;
    protected DataPaths Paths => paths;

    /// <inheritdoc />
    protected override async Task<Preparation> PrepareAsync(ClaimsPrincipal user, EditInput input, CancellationToken ct)
    {
        var errors = new FieldErrors();
        string? model = null;
        Guid? domainId = null;
        string generatorPath = "";
        var g = input.Generator ?? "";
        if (g.StartsWith("model:", StringComparison.Ordinal))
        {
            model = g["model:".Length..];
            generatorPath = rules.Generator(model, errors)?.Path ?? "";
        }
        else if (g.StartsWith("domain:", StringComparison.Ordinal) && Guid.TryParse(g["domain:".Length..], out var d))
        {
            domainId = d;
            if (await domains.GetAsync(user, d, ct) is { } domain) generatorPath = domains.FilePath(domain.GeneratorFile);
            else errors.Add(nameof(input.Generator), "That gallery domain does not exist or is not yours.");
        }
        else errors.Add(nameof(input.Generator), g.Length == 0 ? "Choose a generator: a base model or a gallery domain." : $"Unknown generator '{g}'; choose one from the list.");

        var clips = rules.ClipChoices(input.ClipModels, input.ClipWeights, required: Kind == JobKind.LatentEdit, errors);
        var source = Kind == JobKind.PhotoInvert ? EditSource.Photo : input.Source;
        if (!Enum.IsDefined(source)) errors.Add(nameof(input.Source), $"Unknown start '{(int)input.Source}'; use Seed, Latent or Photo.");
        string? latentFile = null;
        if (source == EditSource.Latent)
        {
            if (input.LatentJobId is not { } from) errors.Add(nameof(input.LatentJobId), "Choose one of your latents.");
            else
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == from && j.Kind != JobKind.Adaptation, ct);
                if (job is null || !user.CanManage(job.OwnerId) || job.Status != JobStatus.Succeeded || !File.Exists(results.LatentFile(from)))
                    errors.Add(nameof(input.LatentJobId), "That latent does not exist or is not yours; choose one of your finished edits or inversions.");
                else latentFile = results.LatentFile(from);
            }
        }
        if (source == EditSource.Photo && input.Photo is null) errors.Add(nameof(input.Photo), "Upload a photo (PNG, JPEG or WebP).");
        rules.CheckSteps(nameof(input.Steps), "Steps", input.Steps, errors);
        if (Kind == JobKind.LatentEdit && source == EditSource.Photo) rules.CheckSteps(nameof(input.InversionSteps), "Inversion steps", input.InversionSteps, errors);
        if (Kind == JobKind.LatentEdit) rules.CheckPromptLength(nameof(input.Text), "text", input.Text, errors);
        int total = Kind == JobKind.LatentEdit && source == EditSource.Photo ? input.InversionSteps + input.Steps : input.Steps;
        if (input.PreviewEvery < 1 || (double)total / Math.Max(1, input.PreviewEvery) > rules.Limits.MaxPreviewsPerJob)
            errors.Add(nameof(input.PreviewEvery), $"An image every {input.PreviewEvery} steps would write too many images for {total} steps; at most {rules.Limits.MaxPreviewsPerJob} per job.");

        // The engine's rules for the request this job will make (files come from the catalog and the upload below).
        var spec = new EditSpec
        {
            Generator = model,
            DomainId = domainId,
            ClipModels = input.ClipModels.ToList(),
            ClipWeights = input.ClipWeights?.ToList() ?? [],
            Text = input.Text?.Trim() ?? "",
            Source = source,
            Seed = source == EditSource.Seed ? input.Seed : null,
            LatentJobId = source == EditSource.Latent ? input.LatentJobId : null,
            Photo = source == EditSource.Photo ? PhotoName : null,
            Steps = input.Steps,
            LearningRate = input.LearningRate,
            L2Weight = input.L2Weight,
            InversionSteps = input.InversionSteps,
            PreviewEvery = input.PreviewEvery,
        };
        var start = source switch
        {
            EditSource.Seed => new EditStart(Seed: input.Seed),
            EditSource.Latent => new EditStart(LatentPath: latentFile ?? "latent"),
            _ => new EditStart(PhotoPath: PhotoName),
        };
        SubmissionRules.AddEngineErrors(ToFormFields(EngineRules(spec, generatorPath, clips, start)), errors);
        if (!errors.IsValid) return Preparation.Invalid(errors);

        var inputs = new List<PreparedInput>();
        if (source == EditSource.Photo)
        {
            try { inputs.Add(new PreparedInput(Path.GetFileName(PhotoName), await sanitizer.ToPngAsync(input.Photo!.FileName, input.Photo.Bytes, ct))); }
            catch (InvalidImageException e) { errors.Add(nameof(input.Photo), e.Message); return Preparation.Invalid(errors); }
        }
        return new Preparation(new PreparedJob(spec, Title(spec), total, inputs), errors);
    }

    /// <summary>The engine's request fields as the edit form's fields.</summary>
    private static FieldErrors ToFormFields(FieldErrors engine)
    {
        var mapped = new FieldErrors();
        foreach (var (key, message) in engine)
        {
            string field = key switch
            {
                "Options.Steps" or "Options.LearningRate" or "Options.L2Weight" or "Options.PreviewEvery" => key["Options.".Length..],
                "Inversion.Steps" => nameof(EditInput.InversionSteps),
                "Inversion.PreviewEvery" => nameof(EditInput.PreviewEvery),
                "PhotoPath" => nameof(EditInput.Photo),
                "Start" => nameof(EditInput.Source),
                _ when key.StartsWith("Options.", StringComparison.Ordinal) || key.StartsWith("Inversion.", StringComparison.Ordinal) => "",
                _ => key,
            };
            mapped.Add(field, message);
        }
        return mapped;
    }

    /// <summary>The engine's rules for the request the job makes, keyed by engine field (mapped by the caller).</summary>
    protected abstract FieldErrors EngineRules(EditSpec spec, string generatorPath, List<ClipModelChoice> clips, EditStart start);

    /// <summary>A title for job lists.</summary>
    protected abstract string Title(EditSpec spec);

    /// <summary>The generator file a stored job runs on, and the base generator a domain was adapted from.</summary>
    protected (string Generator, string? Base) GeneratorPaths(NadaDbContext db, EditSpec spec)
    {
        if (spec.DomainId is { } domainId)
        {
            var domain = db.Domains.AsNoTracking().SingleOrDefault(d => d.Id == domainId)
                ?? throw new InvalidOperationException("The gallery domain of this edit was deleted.");
            var basePath = rules.GeneratorOrNull(domain.BaseModel);
            return (paths.ResolveData(domain.GeneratorFile), basePath);
        }
        return (rules.GeneratorForRun(spec.Generator!), null);
    }
}

/// <summary>Text-driven latent optimisation from a seed, a latent or a photo (inverted first, as a phase of the same job).</summary>
public sealed class LatentEditKind(
    SubmissionRules rules, StyleImageSanitizer sanitizer, IDbContextFactory<NadaDbContext> dbFactory, DomainService domains,
    EditResults results, DataPaths paths, IEditEngine engine) : EditKindBase(rules, sanitizer, dbFactory, domains, results, paths)
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.LatentEdit;

    /// <inheritdoc />
    public override string ApiName => "latent-edit";

    /// <inheritdoc />
    protected override string Title(EditSpec spec) => $"edit: {spec.Text}";

    /// <inheritdoc />
    protected override FieldErrors EngineRules(EditSpec spec, string generatorPath, List<ClipModelChoice> clips, EditStart start) =>
        EditRules.Check(Request(spec, generatorPath, null, clips, start, "run"), checkFiles: false);

    /// <inheritdoc />
    protected override JobOutcome Run(JobRun run, EditSpec spec)
    {
        var (generator, baseGenerator) = GeneratorPaths(run.Db, spec);
        var start = spec.Source switch
        {
            EditSource.Seed => new EditStart(Seed: spec.Seed ?? 0),
            EditSource.Latent => new EditStart(LatentPath: Results.LatentFile(spec.LatentJobId!.Value)),
            _ => new EditStart(PhotoPath: Paths.ResolveJobFile(run.Job.Id, spec.Photo!)),
        };
        var clips = Rules.ClipChoicesForRun(spec.ClipModels, spec.ClipWeights);
        engine.Edit(Request(spec, generator, baseGenerator, clips, start, run.Layout.Root), run.Context);
        return new JobOutcome();
    }

    private static EditRequest Request(EditSpec spec, string generator, string? baseGenerator, IReadOnlyList<ClipModelChoice> clips, EditStart start, string outDir) => new()
    {
        GeneratorPath = generator,
        BaseGeneratorPath = baseGenerator,
        ClipModels = clips,
        Text = spec.Text,
        Start = start,
        OutputDirectory = outDir,
        Options = new LatentOptimizationOptions { Steps = spec.Steps, LearningRate = spec.LearningRate, L2Weight = spec.L2Weight, PreviewEvery = spec.PreviewEvery },
        Inversion = new InversionOptions { Steps = spec.InversionSteps, PreviewEvery = spec.PreviewEvery },
    };
}

/// <summary>Photo inversion: find the latent of a generator that reproduces an uploaded photo.</summary>
public sealed class PhotoInversionKind(
    SubmissionRules rules, StyleImageSanitizer sanitizer, IDbContextFactory<NadaDbContext> dbFactory, DomainService domains,
    EditResults results, DataPaths paths, IEditEngine engine) : EditKindBase(rules, sanitizer, dbFactory, domains, results, paths)
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.PhotoInvert;

    /// <inheritdoc />
    public override string ApiName => "photo-invert";

    /// <inheritdoc />
    protected override string Title(EditSpec spec) => "invert photo";

    /// <inheritdoc />
    protected override FieldErrors EngineRules(EditSpec spec, string generatorPath, List<ClipModelChoice> clips, EditStart start) =>
        EditRules.Check(Request(spec, generatorPath, clips, PhotoName, "run"), checkFiles: false);

    /// <inheritdoc />
    protected override JobOutcome Run(JobRun run, EditSpec spec)
    {
        var (generator, _) = GeneratorPaths(run.Db, spec);
        var clips = Rules.ClipChoicesForRun(spec.ClipModels, spec.ClipWeights);
        engine.Invert(Request(spec, generator, clips, Paths.ResolveJobFile(run.Job.Id, spec.Photo!), run.Layout.Root), run.Context);
        return new JobOutcome();
    }

    private static InversionRequest Request(EditSpec spec, string generator, IReadOnlyList<ClipModelChoice> clips, string photo, string outDir) => new()
    {
        GeneratorPath = generator,
        PhotoPath = photo,
        OutputDirectory = outDir,
        ClipModels = clips,
        Options = new InversionOptions { Steps = spec.Steps, LearningRate = spec.LearningRate, PreviewEvery = spec.PreviewEvery },
    };
}
