using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Engine;
using Nada.Web.Images;
using Nada.Web.Jobs;
using Nada.Web.Options;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Edits;

/// <summary>A generator an edit can use: a base model of the catalog or a gallery domain the user may see.</summary>
/// <param name="Choice">What forms and the API send (<see cref="EditInput.Generator"/>).</param>
/// <param name="Name">Display name.</param>
/// <param name="BaseModel">The base model id (of the domain, for a domain).</param>
public sealed record GeneratorChoice(string Choice, string Name, string BaseModel);

/// <summary>Submits and lists edit and inversion jobs, and renders their latents, with the access rules applied.</summary>
public sealed class EditService(
    IDbContextFactory<NadaDbContext> dbFactory,
    IBackgroundJobClient hangfire,
    EditValidator validator,
    StyleImageSanitizer sanitizer,
    DomainService domains,
    IModelCatalog catalog,
    ILatentRenderer renderer,
    ProgressStore store,
    EditResults results,
    DataPaths paths,
    IOptions<LimitsOptions> limits,
    TimeProvider clock)
{
    /// <summary>Base models, then the gallery domains the user may see (own; all for an admin).</summary>
    public async Task<List<GeneratorChoice>> GeneratorsAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var list = catalog.Generators().Select(g => new GeneratorChoice(EditInput.ModelChoice(g.Id), g.Name, g.Id)).ToList();
        foreach (var d in await domains.ListAsync(user, all: user.IsAdmin(), ct))
            list.Add(new GeneratorChoice(EditInput.DomainChoice(d.Id), $"{d.TargetText} (domain of {d.BaseModel})", d.BaseModel));
        return list;
    }

    /// <summary>The user's edit and inversion jobs, newest first.</summary>
    public async Task<List<JobRecord>> ListAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var id = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Jobs.AsNoTracking().Where(j => j.OwnerId == id && j.Kind != JobKind.Adaptation)
            .OrderByDescending(j => j.CreatedAt).Take(200).ToListAsync(ct);
    }

    /// <summary>An edit or inversion job the user may see (owner or admin), or null.</summary>
    public async Task<JobRecord?> GetAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.Kind != JobKind.Adaptation, ct);
        return job is not null && user.CanManage(job.OwnerId) ? job : null;
    }

    /// <summary>Validates, checks the chosen domain and latent, sanitises the photo, applies the limits, records and enqueues.</summary>
    public async Task<SubmitResult> SubmitAsync(ClaimsPrincipal user, EditInput input, CancellationToken ct = default)
    {
        var userId = user.UserId() ?? throw new UnauthorizedAccessException("Sign in to submit jobs.");
        var errors = validator.Validate(input);
        if (errors.Count > 0) return new SubmitResult(null, errors);

        string? model = null;
        Guid? domainId = null;
        if (input.Generator.StartsWith("domain:", StringComparison.Ordinal))
        {
            domainId = Guid.Parse(input.Generator["domain:".Length..]);
            if (await domains.GetAsync(user, domainId.Value, ct) is null)
                errors[nameof(input.Generator)] = "That gallery domain does not exist or is not yours.";
        }
        else model = input.Generator["model:".Length..];
        var source = input.Kind == JobKind.PhotoInvert ? EditSource.Photo : input.Source;
        if (source == EditSource.Latent)
        {
            var from = await GetAsync(user, input.LatentJobId!.Value, ct);
            if (from is null || from.Status != JobStatus.Succeeded || !File.Exists(results.LatentFile(from.Id)))
                errors[nameof(input.LatentJobId)] = "That latent does not exist or is not yours; choose one of your finished edits or inversions.";
        }
        byte[]? photo = null;
        if (source == EditSource.Photo)
        {
            try { photo = sanitizer.ToPng(input.Photo!.FileName, input.Photo.Bytes); }
            catch (InvalidImageException e) { errors[nameof(input.Photo)] = e.Message; }
        }
        if (errors.Count > 0) return new SubmitResult(null, errors);

        var jobId = Guid.NewGuid();
        await JobService.SubmitLock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = clock.GetUtcNow();
            if (await JobService.LimitErrorAsync(db, userId, limits.Value, now, ct) is { } tooMany)
                return new SubmitResult(null, new Dictionary<string, string> { [""] = tooMany }, TooMany: true);
            string? photoFile = null;
            if (photo is not null)
            {
                Directory.CreateDirectory(paths.UploadDir(jobId));
                var file = Path.Combine(paths.UploadDir(jobId), "photo.png");
                await File.WriteAllBytesAsync(file, photo, ct);
                photoFile = paths.ToRelative(file);
            }
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
                Photo = photoFile,
                Steps = input.Steps,
                LearningRate = input.LearningRate,
                L2Weight = input.L2Weight,
                InversionSteps = input.InversionSteps,
                PreviewEvery = input.PreviewEvery,
            };
            var job = new JobRecord
            {
                Id = jobId,
                Kind = input.Kind,
                OwnerId = userId,
                Status = JobStatus.Queued,
                SpecJson = JsonSerializer.Serialize(spec),
                Title = spec.TitleFor(input.Kind),
                CreatedAt = now,
            };
            db.Jobs.Add(job);
            await db.SaveChangesAsync(ct);
            store.SetStatus(jobId, JobStatus.Queued);
            job.HangfireId = JobService.Enqueue(hangfire, job);
            await db.SaveChangesAsync(ct);
            return new SubmitResult(jobId, errors);
        }
        finally
        {
            JobService.SubmitLock.Release();
        }
    }

    /// <summary>The gallery domains a finished job's latent can be blended with: visible, adapted from the latent's base model.</summary>
    public async Task<List<DomainRecord>> BlendableDomainsAsync(ClaimsPrincipal user, JobRecord job, CancellationToken ct = default)
    {
        var spec = JsonSerializer.Deserialize<EditSpec>(job.SpecJson)!;
        if (spec.Generator is null) return [];
        return (await domains.ListAsync(user, all: user.IsAdmin(), ct)).Where(d => d.BaseModel == spec.Generator).ToList();
    }

    /// <summary>
    /// PNG of a finished job's latent blended between its generator and the given domains at <paramref name="alpha"/>,
    /// or rendered by one generator when no domain is given: the domain <paramref name="on"/> (the latent may be of its
    /// base model), else the job's own generator. Null when the job or a domain is not visible.
    /// </summary>
    /// <exception cref="Nada.Core.Editing.LatentMismatchException">The latent belongs to another generator.</exception>
    /// <exception cref="ArgumentException">Alpha out of [0, 1], or generators that cannot be blended.</exception>
    public async Task<byte[]?> RenderAsync(ClaimsPrincipal user, Guid jobId, IReadOnlyList<Guid> domainIds, float alpha, Guid? on = null, CancellationToken ct = default)
    {
        if (!float.IsFinite(alpha) || alpha < 0 || alpha > 1) throw new ArgumentException($"The strength must be between 0 and 1, got {alpha}.");
        var job = await GetAsync(user, jobId, ct);
        if (job is null || job.Status != JobStatus.Succeeded) return null;
        var spec = JsonSerializer.Deserialize<EditSpec>(job.SpecJson)!;
        string source;
        if (spec.DomainId is { } own)
        {
            if (await domains.GetAsync(user, own, ct) is not { } d) return null;
            source = domains.FilePath(d.GeneratorFile);
        }
        else
        {
            source = catalog.Generators().FirstOrDefault(g => g.Id == spec.Generator)?.Path
                ?? throw new ArgumentException($"The base generator '{spec.Generator}' is no longer in the models folder.");
        }
        var domainFiles = new List<string>();
        foreach (var id in domainIds.Distinct())
        {
            if (await domains.GetAsync(user, id, ct) is not { } d) return null;
            domainFiles.Add(domains.FilePath(d.GeneratorFile));
        }
        var latent = results.LatentFile(jobId);
        if (on is { } onId)
        {
            if (await domains.GetAsync(user, onId, ct) is not { } target) return null;
            var basePath = catalog.Generators().FirstOrDefault(g => g.Id == target.BaseModel)?.Path;
            return renderer.RenderPng(domains.FilePath(target.GeneratorFile), latent, basePath);
        }
        // Inline on the request thread: the renderer serialises calls and keeps the last blend loaded.
        return domainFiles.Count == 0 ? renderer.RenderPng(source, latent) : renderer.BlendPng(source, domainFiles, latent, alpha);
    }
}
