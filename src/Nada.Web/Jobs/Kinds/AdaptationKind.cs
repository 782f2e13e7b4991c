using System.Security.Claims;
using Nada.Core.Adaptation;
using Nada.Core.Service;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Images;
using Nada.Web.Options;

namespace Nada.Web.Jobs.Kinds;

/// <summary>An adaptation as submitted (the form or the API), not yet trusted.</summary>
public sealed class AdaptationInput
{
    public string Generator { get; set; } = "";
    public List<string> ClipModels { get; set; } = [];
    public List<float>? ClipWeights { get; set; }
    public string SourceText { get; set; } = "photo";
    public string TargetText { get; set; } = "";
    /// <summary>Full (a fine-tuned generator) or compact (small offsets of the base generator, mixable).</summary>
    public DomainKind Kind { get; set; } = DomainKind.Full;
    /// <summary>Compact only: more targets after <see cref="TargetText"/>, one compact domain each, trained in the same job.</summary>
    public List<string> ExtraTargets { get; set; } = [];
    public int Iterations { get; set; } = 300;
    public List<UploadedImage> StyleImages { get; set; } = [];
    /// <summary>Advanced options; the reference implementation's defaults unless changed.</summary>
    public AdaptationOptions Options { get; set; } = new();
}

/// <summary>One uploaded file as received, not yet trusted.</summary>
public sealed record UploadedImage(string FileName, byte[] Bytes);

/// <summary>An adaptation as stored with its job (catalog ids; style images relative to the run folder).</summary>
public sealed record AdaptationSpec
{
    /// <summary>Base generator id from the model catalog.</summary>
    public required string Generator { get; init; }
    /// <summary>CLIP model ids from the model catalog.</summary>
    public required IReadOnlyList<string> ClipModels { get; init; }
    /// <summary>Weights of the CLIP models, same order; empty means 1 each.</summary>
    public IReadOnlyList<float> ClipWeights { get; init; } = [];
    public required string SourceText { get; init; }
    public string TargetText { get; init; } = "";
    /// <summary>Full or compact.</summary>
    public DomainKind Kind { get; init; } = DomainKind.Full;
    /// <summary>Compact jobs with several targets: all of them (the first is <see cref="TargetText"/>); empty otherwise.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];
    public int Iterations { get; init; }
    /// <summary>Sanitised style images: "inputs/style-N.png" in the run folder (older jobs: relative to the data folder).</summary>
    public IReadOnlyList<string> StyleImages { get; init; } = [];
    /// <summary>The engine's other knobs (advanced options).</summary>
    public AdaptationOptions Options { get; init; } = new();

    /// <summary>"photo -> sketch", or the image count for image-guided runs.</summary>
    public string Title => Targets.Count > 1
        ? $"{SourceText} -> {string.Join(", ", Targets)} (compact)"
        : TargetText.Length > 0
        ? $"{SourceText} -> {TargetText}{(Kind == DomainKind.Compact ? " (compact)" : "")}"
        : $"{SourceText} -> {StyleImages.Count} style image(s)";
}

/// <summary>StyleGAN-NADA: adapt a base generator to a domain described by text or example images; records a gallery domain.</summary>
public sealed class AdaptationKind(
    SubmissionRules rules,
    StyleImageSanitizer sanitizer,
    IAdaptationEngine engine,
    DomainStore domainStore,
    DomainScoring scoring,
    DataPaths paths) : JobKind<AdaptationInput, AdaptationSpec>
{
    /// <inheritdoc />
    public override JobKind Kind => JobKind.Adaptation;

    /// <inheritdoc />
    public override string ApiName => "adaptation";

    /// <inheritdoc />
    protected override async Task<Preparation> PrepareAsync(ClaimsPrincipal user, AdaptationInput input, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var generator = rules.Generator(input.Generator, errors);
        var clips = rules.ClipChoices(input.ClipModels, input.ClipWeights, required: true, errors);
        var options = input.Options ?? new AdaptationOptions();
        string target = input.TargetText?.Trim() ?? "";
        var extra = (input.ExtraTargets ?? []).Select(t => t?.Trim() ?? "").Where(t => t.Length > 0).ToList();
        var targets = extra.Count > 0 ? (List<string>)[target, .. extra] : [];
        var request = new AdaptationRequest
        {
            GeneratorPath = generator?.Path ?? "",
            ClipModels = clips,
            SourceText = input.SourceText?.Trim() ?? "",
            TargetText = target,
            StyleImagePaths = input.StyleImages.Select((_, i) => StyleImageName(i)).ToList(),
            Iterations = input.Iterations,
            OutputDirectory = "run",
            Options = options,
            Kind = input.Kind,
            Targets = targets,
        };
        // The shared box's caps first (their messages are the ones a user of this box can act on) ...
        rules.CheckPromptLength(nameof(input.SourceText), "source text", request.SourceText, errors);
        rules.CheckPromptLength(nameof(input.TargetText), "target text", request.TargetText, errors);
        foreach (var t in extra) rules.CheckPromptLength("Targets", "target text", t, errors);
        if (targets.Count > rules.Limits.MaxTargetsPerJob)
            errors.Add("Targets", $"{targets.Count} targets given; at most {rules.Limits.MaxTargetsPerJob} fit in one job on this box.");
        rules.CheckSteps(nameof(input.Iterations), "Iterations", input.Iterations, errors);
        CheckCaps(options, input.Iterations, errors);
        // ... then the engine's rules (files come from the catalog and the uploads below, so they are not looked for here).
        SubmissionRules.AddEngineErrors(RequestValidator.Check(request, checkFiles: false), errors);
        if (input.StyleImages.Count > rules.Limits.MaxStyleImages)
            errors.Add(nameof(input.StyleImages), $"{input.StyleImages.Count} style images sent; at most {rules.Limits.MaxStyleImages} are allowed.");
        if (!errors.IsValid) return Preparation.Invalid(errors);

        var inputs = new List<PreparedInput>();
        for (int i = 0; i < input.StyleImages.Count; i++)
        {
            try { inputs.Add(new PreparedInput(Path.GetFileName(StyleImageName(i)), await sanitizer.ToPngAsync(input.StyleImages[i].FileName, input.StyleImages[i].Bytes, ct))); }
            catch (InvalidImageException e) { errors.Add(nameof(input.StyleImages), e.Message); }
        }
        if (!errors.IsValid) return Preparation.Invalid(errors);
        var spec = new AdaptationSpec
        {
            Generator = input.Generator,
            ClipModels = input.ClipModels.ToList(),
            ClipWeights = input.ClipWeights?.ToList() ?? [],
            SourceText = request.SourceText,
            TargetText = request.TargetText,
            Kind = request.Kind,
            Targets = targets,
            Iterations = input.Iterations,
            StyleImages = inputs.Select((_, i) => StyleImageName(i)).ToList(),
            Options = options,
        };
        return new Preparation(new PreparedJob(spec, spec.Title, spec.Iterations, inputs), errors);
    }

    /// <summary>Caps for a shared GPU and its disk: batch sizes, sample counts, how many previews and checkpoints one job may write.</summary>
    private void CheckCaps(AdaptationOptions o, int iterations, FieldErrors errors)
    {
        var l = rules.Limits;
        int max = l.MaxBatchSize;
        if (o.BatchSize > max) errors.Add("Options.BatchSize", $"Batch size {o.BatchSize} is too large for the shared GPU; at most {max}.");
        if (o.AutoLayerBatch > 4 * max) errors.Add("Options.AutoLayerBatch", $"Layer-selection batch {o.AutoLayerBatch} is too large; at most {4 * max}.");
        if (o.ImageDirectionSamples > 8 * max) errors.Add("Options.ImageDirectionSamples", $"Image-direction samples {o.ImageDirectionSamples} is too many; at most {8 * max}.");
        if (o.PreviewSamples > max) errors.Add("Options.PreviewSamples", $"Preview samples {o.PreviewSamples} is too many; at most {max}.");
        if (o.AutoLayerIters > 100) errors.Add("Options.AutoLayerIters", $"Layer-selection iterations {o.AutoLayerIters} is too many; at most 100.");
        int minEvery = Math.Max(1, (int)Math.Ceiling((double)iterations / Math.Max(1, l.MaxPreviewsPerJob)));
        if (o.SampleEvery < minEvery)
            errors.Add("Options.SampleEvery", $"A preview every {o.SampleEvery} steps would write too many images; for {iterations} steps use at least {minEvery} (at most {l.MaxPreviewsPerJob} previews per job).");
        int minCheckpoint = Math.Max(1, (int)Math.Ceiling((double)iterations / Math.Max(1, l.MaxCheckpointsPerJob)));
        if (o.CheckpointEvery < minCheckpoint)
            errors.Add("Options.CheckpointEvery", $"Checkpoints every {o.CheckpointEvery} steps are too frequent for {iterations} steps; use at least {minCheckpoint} (at most {l.MaxCheckpointsPerJob} per job).");
    }

    /// <inheritdoc />
    protected override JobOutcome Run(JobRun run, AdaptationSpec spec)
    {
        var request = new AdaptationRequest
        {
            GeneratorPath = rules.GeneratorForRun(spec.Generator),
            ClipModels = rules.ClipChoicesForRun(spec.ClipModels, spec.ClipWeights),
            SourceText = spec.SourceText,
            TargetText = spec.TargetText,
            StyleImagePaths = spec.StyleImages.Select(p => paths.ResolveJobFile(run.Job.Id, p)).ToList(),
            Iterations = spec.Iterations,
            OutputDirectory = run.Layout.Root,
            Options = spec.Options,
            Kind = spec.Kind,
            Targets = spec.Targets,
        };
        var result = engine.Run(request, run.Context, resume: engine.HasCheckpoint(run.Layout.Root));
        string imagesTitle = $"{spec.StyleImages.Count} style image(s)";
        if (result.Kind == DomainKind.Compact && result.CompactDomains is { Count: > 0 } compact)
        {
            // Scores first, from the run folder: a job cancelled while scoring leaves nothing in the gallery's folders.
            var scores = compact.Select(c => Score(run, spec, DomainKind.Compact, c.File, c.Target, request.GeneratorPath)).ToList();
            // One gallery domain per target, each with its own folder (they can be shared and deleted one by one).
            var ids = new List<Guid>();
            for (int i = 0; i < compact.Count; i++)
            {
                var id = Guid.NewGuid();
                var files = domainStore.ImportCompact(id, compact[i]);
                AddDomain(run, spec, id, files, DomainKind.Compact, compact[i].Target.Length > 0 ? compact[i].Target : imagesTitle, scores[i]);
                ids.Add(id);
            }
            return new JobOutcome(ids[0]);
        }
        var fullScores = Score(run, spec, DomainKind.Full, result.GeneratorFile, spec.TargetText, request.GeneratorPath);
        var domainId = Guid.NewGuid();
        var full = domainStore.Import(domainId, run.Layout, result);
        AddDomain(run, spec, domainId, full, DomainKind.Full, spec.TargetText.Length > 0 ? spec.TargetText : imagesTitle, fullScores);
        return new JobOutcome(domainId);
    }

    /// <summary>The domain's scores as JSON (null: not scored), on the job's worker; image-guided domains are scored toward the source text.</summary>
    private string? Score(JobRun run, AdaptationSpec spec, DomainKind kind, string domainFile, string target, string baseGeneratorFile) =>
        scoring.Score(baseGeneratorFile, kind, domainFile, spec.SourceText, target, run.Context);

    /// <summary>Records a gallery domain with its size and scores.</summary>
    private void AddDomain(JobRun run, AdaptationSpec spec, Guid id, DomainFiles files, DomainKind kind, string target, string? scoresJson)
    {
        string file = paths.ResolveData(files.GeneratorFile);
        run.Db.Domains.Add(new DomainRecord
        {
            Id = id,
            JobId = run.Job.Id,
            OwnerId = run.Job.OwnerId,
            SourceText = spec.SourceText,
            TargetText = target,
            BaseModel = spec.Generator,
            SettingsJson = run.Job.SpecJson,
            Directory = files.Directory,
            GeneratorFile = files.GeneratorFile,
            ThumbnailFile = files.ThumbnailFile,
            CreatedAt = DateTimeOffset.UtcNow,
            Kind = kind,
            SizeBytes = new FileInfo(file).Length,
            ScoresJson = scoresJson,
        });
    }

    private static string StyleImageName(int i) => $"inputs/style-{i}.png";
}
