using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Nada.Core.Service;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Engine;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Security;

namespace Nada.Web.Edits;

/// <summary>A generator an edit can use: a base model of the catalog or a gallery domain the user may see.</summary>
/// <param name="Choice">What forms and the API send (<see cref="EditInput.Generator"/>).</param>
/// <param name="Name">Display name.</param>
/// <param name="BaseModel">The base model id (of the domain, for a domain).</param>
public sealed record GeneratorChoice(string Choice, string Name, string BaseModel);

/// <summary>
/// The editing side's views: generators an edit can use, the user's edits and inversions, and their latents rendered
/// and blended (interactive engine work, with the access rules applied). Submitting is <see cref="Jobs.JobService"/>'s.
/// </summary>
public sealed class EditService(
    IDbContextFactory<NadaDbContext> dbFactory,
    DomainService domains,
    IModelCatalog catalog,
    ILatentRenderer renderer,
    EditResults results)
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

    /// <summary>The gallery domains a finished job's latent can be blended with: visible, adapted from the latent's base model.</summary>
    public async Task<List<DomainRecord>> BlendableDomainsAsync(ClaimsPrincipal user, JobRecord job, CancellationToken ct = default)
    {
        var spec = EditKindBase.SpecOf(job);
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
        var spec = EditKindBase.SpecOf(job);
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
        var compact = 0;
        foreach (var id in domainIds.Distinct())
        {
            if (await domains.GetAsync(user, id, ct) is not { } d) return null;
            domainFiles.Add(domains.FilePath(d.GeneratorFile));
            if (d.Kind == Nada.Core.Adaptation.DomainKind.Compact) compact++;
        }
        if (compact > 0)
        {
            // Compact domains (and saved mixes) apply to the base generator's latent: offsets alpha * d_i, summed.
            if (compact != domainFiles.Count)
                throw new ArgumentException("Choose compact domains or full domains, not both: compact ones mix on the base generator, full ones blend between generators.");
            if (spec.DomainId is not null)
                throw new ArgumentException("Compact domains apply to a latent of their base generator; this latent was made on a gallery domain.");
            return await renderer.RenderMixPngAsync(source, domainFiles.Select(f => new Nada.Core.Adaptation.Compact.DomainWeight(f, alpha)).ToList(),
                results.LatentFile(jobId), ct);
        }
        var latent = results.LatentFile(jobId);
        if (on is { } onId)
        {
            if (await domains.GetAsync(user, onId, ct) is not { } target) return null;
            var basePath = catalog.Generators().FirstOrDefault(g => g.Id == target.BaseModel)?.Path;
            return await renderer.RenderPngAsync(domains.FilePath(target.GeneratorFile), latent, basePath, ct);
        }
        // Interactive work of the device broker: it waits at most one step of a running job.
        return domainFiles.Count == 0
            ? await renderer.RenderPngAsync(source, latent, null, ct)
            : await renderer.BlendPngAsync(source, domainFiles, latent, alpha, ct);
    }
}
