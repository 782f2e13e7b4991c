using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Service;
using Nada.Web.Options;
using Nada.Web.Security;

namespace Nada.Web.Domains;

/// <summary>The gallery: lists domains, samples them, and shares or unshares them, with the access rules applied.</summary>
public sealed class DomainService(
    IDbContextFactory<NadaDbContext> dbFactory,
    IDomainSampler sampler,
    ICompactDomainTools tools,
    Engine.IModelCatalog catalog,
    DataPaths paths,
    IOptions<LimitsOptions> limits,
    ShareLinkViewers viewers)
{
    /// <summary>The user's domains, newest first; every domain for an admin who asks.</summary>
    public async Task<List<DomainRecord>> ListAsync(ClaimsPrincipal user, bool all = false, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.Domains.AsNoTracking().Include(d => d.Owner).AsQueryable();
        if (!(all && user.IsAdmin()))
        {
            var id = user.UserId();
            q = q.Where(d => d.OwnerId == id);
        }
        return await q.OrderByDescending(d => d.CreatedAt).Take(500).ToListAsync(ct);
    }

    /// <summary>A domain the user owns (or any, for an admin), or null.</summary>
    public async Task<DomainRecord?> GetAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.Domains.AsNoTracking().Include(x => x.Owner).SingleOrDefaultAsync(x => x.Id == id, ct);
        return d is not null && user.CanManage(d.OwnerId) ? d : null;
    }

    /// <summary>The domains a job made that the user may manage (a compact job makes one per target), in target order.</summary>
    public async Task<List<DomainRecord>> ListForJobAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var list = await db.Domains.AsNoTracking().Where(d => d.JobId == jobId).Take(100).ToListAsync(ct);
        // Compact files are named "01-target", "02-..." by the engine: their order is the targets' order.
        return [.. list.Where(d => user.CanManage(d.OwnerId)).OrderBy(d => Path.GetFileName(d.GeneratorFile), StringComparer.Ordinal)];
    }

    /// <summary>A shared domain by its token, or null for an unknown, revoked or malformed token.</summary>
    public async Task<DomainRecord?> GetSharedAsync(string? token, CancellationToken ct = default)
    {
        if (!ShareTokens.LooksValid(token)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Domains.AsNoTracking().Include(x => x.Owner).SingleOrDefaultAsync(x => x.ShareToken == token, ct);
    }

    /// <summary>A domain the user may see: owner, admin, or holder of its share token.</summary>
    public async Task<DomainRecord?> GetVisibleAsync(ClaimsPrincipal user, Guid id, string? shareToken, CancellationToken ct = default)
    {
        var d = await GetAsync(user, id, ct);
        if (d is not null) return d;
        var shared = await GetSharedAsync(shareToken, ct);
        return shared?.Id == id ? shared : null;
    }

    /// <summary>Whether <paramref name="shareToken"/> is the live share token of the domain made by job <paramref name="jobId"/>.</summary>
    public async Task<bool> TokenOpensJobAsync(Guid jobId, string? shareToken, CancellationToken ct = default)
    {
        var shared = await GetSharedAsync(shareToken, ct);
        return shared?.JobId == jobId;
    }

    /// <summary>Creates (or returns the existing) share token. Null when not found or not allowed.</summary>
    public async Task<string?> ShareAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.Domains.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (d is null || !user.CanManage(d.OwnerId)) return null;
        d.ShareToken ??= ShareTokens.New();
        await db.SaveChangesAsync(ct);
        return d.ShareToken;
    }

    /// <summary>Revokes the share token: the old link stops working at once. False when not found or not allowed.</summary>
    public async Task<bool> RevokeAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.Domains.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (d is null || !user.CanManage(d.OwnerId)) return false;
        d.ShareToken = null;
        d.PublishedAt = null;   // Explore shows a domain through its share link: no link, not public
        await db.SaveChangesAsync(ct);
        await viewers.LinkChangedAsync(d.JobId, null);
        return true;
    }

    /// <summary>
    /// Puts the domain in Explore (or takes it out). A public domain is shown to everyone through its share link, so
    /// publishing makes one when there is none; taking it out keeps the link. Null when not found or not allowed; else
    /// the share token (null after taking it out).
    /// </summary>
    public async Task<(bool Found, string? Token)> SetPublicAsync(ClaimsPrincipal user, Guid id, bool isPublic, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.Domains.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (d is null || !user.CanManage(d.OwnerId)) return (false, null);
        if (isPublic)
        {
            d.ShareToken ??= ShareTokens.New();
            d.PublishedAt ??= DateTimeOffset.UtcNow;
        }
        else
        {
            d.PublishedAt = null;
        }
        await db.SaveChangesAsync(ct);
        return (true, d.ShareToken);
    }

    /// <summary>
    /// Notes that a signed-in user opened a domain's share link, for their "Shared with me" list (not for the owner,
    /// nor for a token that is not the domain's live one).
    /// </summary>
    public async Task RememberSharedAsync(ClaimsPrincipal user, DomainRecord shared, CancellationToken ct = default)
    {
        if (user.Identity?.IsAuthenticated != true || shared.ShareToken is null || user.UserId() is not { } userId || userId == shared.OwnerId) return;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.SharedWithUsers.SingleOrDefaultAsync(s => s.UserId == userId && s.DomainId == shared.Id, ct);
        if (row is null) db.SharedWithUsers.Add(row = new SharedDomainRecord { UserId = userId, DomainId = shared.Id, ShareToken = shared.ShareToken });
        row.ShareToken = shared.ShareToken;
        row.OpenedAt = DateTimeOffset.UtcNow;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { /* the same user opened it twice at once, or it was deleted meanwhile: nothing to keep */ }
    }

    /// <summary>Domains shared with the user whose links still work, most recently opened first (each with its live token).</summary>
    public async Task<List<DomainRecord>> ListSharedWithMeAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.SharedWithUsers.AsNoTracking().Include(s => s.Domain)
            .Where(s => s.UserId == userId && s.Domain!.ShareToken == s.ShareToken && s.Domain.OwnerId != userId)
            .Take(500).ToListAsync(ct);
        return [.. rows.OrderByDescending(s => s.OpenedAt).Select(s => s.Domain!)];
    }

    /// <summary>Takes a domain off the user's "Shared with me" list (the link itself is untouched). False when it was not on it.</summary>
    public async Task<bool> ForgetSharedAsync(ClaimsPrincipal user, Guid domainId, CancellationToken ct = default)
    {
        var userId = user.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SharedWithUsers.Where(s => s.UserId == userId && s.DomainId == domainId).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>Public domains (Explore), most recently published first.</summary>
    public async Task<List<DomainRecord>> ListPublicAsync(int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var list = await db.Domains.AsNoTracking().Where(d => d.PublishedAt != null && d.ShareToken != null)
            .OrderByDescending(d => d.CreatedAt).Take(500).ToListAsync(ct);
        return [.. list.OrderByDescending(d => d.PublishedAt).Take(Math.Clamp(take, 1, 500))];
    }

    /// <summary>
    /// Deletes a domain of the user (any, for an admin): its row, its folder (generator, thumbnail) and so its share link,
    /// whose viewers are dropped at once. The job that made it stays (without its domain). False when not found or not allowed.
    /// </summary>
    public async Task<bool> DeleteAsync(ClaimsPrincipal user, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var d = await db.Domains.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (d is null || !user.CanManage(d.OwnerId)) return false;
        await db.SharedWithUsers.Where(s => s.DomainId == id).ExecuteDeleteAsync(ct);   // the FK cascades too; this keeps it explicit
        db.Domains.Remove(d);
        await db.Jobs.Where(j => j.DomainId == id).ExecuteUpdateAsync(u => u.SetProperty(j => j.DomainId, (Guid?)null), ct);
        await db.SaveChangesAsync(ct);
        if (d.ShareToken is not null) await viewers.LinkChangedAsync(d.JobId, null);
        var dir = paths.ResolveData(d.Directory);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return true;
    }

    /// <summary>Draws one PNG per seed from the domain's generator (interactive engine work: it waits at most one training step).</summary>
    public Task<IReadOnlyList<byte[]>> SampleAsync(DomainRecord domain, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default) =>
        SampleAsync(domain, seeds, truncationPsi, null, ct);

    /// <summary>
    /// As above, translated and rotated by <paramref name="transform"/> (StyleGAN3 domains only; null renders as stored).
    /// Translation is at most <see cref="MaxTranslate"/> image widths per axis, rotation at most <see cref="MaxRotateDegrees"/>.
    /// </summary>
    public Task<IReadOnlyList<byte[]>> SampleAsync(DomainRecord domain, IReadOnlyList<int> seeds, float truncationPsi, InputTransform? transform,
        CancellationToken ct = default)
    {
        if (transform is not null)
        {
            if (!double.IsFinite(transform.TranslateX) || Math.Abs(transform.TranslateX) > MaxTranslate
                || !double.IsFinite(transform.TranslateY) || Math.Abs(transform.TranslateY) > MaxTranslate)
                throw new ArgumentException($"Translation ({transform.TranslateX}, {transform.TranslateY}) must be between -{MaxTranslate} and {MaxTranslate} image widths per axis.");
            if (!double.IsFinite(transform.RotateDegrees) || Math.Abs(transform.RotateDegrees) > MaxRotateDegrees)
                throw new ArgumentException($"Rotation {transform.RotateDegrees} must be between -{MaxRotateDegrees} and {MaxRotateDegrees} degrees.");
            if (transform != InputTransform.Identity && !SupportsTransform(domain))
                throw new ArgumentException("Translation and rotation need a StyleGAN3 domain; this one is not. Sample it without them.");
        }
        CheckSampling(seeds, truncationPsi);
        if (domain.Kind != Nada.Core.Adaptation.DomainKind.Compact)
            return sampler.SamplePngAsync(paths.ResolveData(domain.GeneratorFile), seeds, truncationPsi, transform, ct);
        // A compact domain is its base generator with the domain's offsets (strength 1).
        return sampler.SampleMixPngAsync(BaseGeneratorFile(domain), [new Nada.Core.Adaptation.Compact.DomainWeight(paths.ResolveData(domain.GeneratorFile), 1f)],
            seeds, truncationPsi, ct);
    }

    /// <summary>
    /// Draws one PNG per seed from the generator the domain was made from (for base-vs-adapted comparisons): the same
    /// seeds and truncation give the same latents as <see cref="SampleAsync(DomainRecord, IReadOnlyList{int}, float, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A bad seed count or psi, or the base generator is gone (the message says which).</exception>
    public Task<IReadOnlyList<byte[]>> SampleBaseAsync(DomainRecord domain, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default)
    {
        CheckSampling(seeds, truncationPsi);
        return sampler.SamplePngAsync(BaseGeneratorFile(domain), seeds, truncationPsi, null, ct);
    }

    /// <summary>The seed count and truncation rules of every sampling request (domain and base generator alike).</summary>
    private void CheckSampling(IReadOnlyList<int> seeds, float truncationPsi)
    {
        var max = limits.Value.MaxSampleSeeds;
        if (seeds.Count == 0) throw new ArgumentException("Give at least one seed.");
        if (seeds.Count > max) throw new ArgumentException($"{seeds.Count} seeds asked; at most {max} at once.");
        if (!float.IsFinite(truncationPsi) || truncationPsi < 0 || truncationPsi > 1)
            throw new ArgumentException("Truncation psi must be between 0 and 1.");
    }

    /// <summary>The base generator file a domain was made from.</summary>
    /// <exception cref="ArgumentException">It is no longer in the models folder.</exception>
    public string BaseGeneratorFile(DomainRecord domain) =>
        catalog.Generators().FirstOrDefault(g => g.Id == domain.BaseModel)?.Path
        ?? throw new ArgumentException($"The base generator '{domain.BaseModel}' of this domain is no longer in the models folder; ask an admin to restore it.");

    /// <summary>
    /// A compact domain baked into a full generator (its base generator with the offsets folded into the weights), in
    /// <paramref name="format"/>; made on the first request and kept in the domain's folder.
    /// </summary>
    /// <exception cref="ArgumentException">Not a compact domain, or its base generator is gone.</exception>
    /// <exception cref="NotSupportedException">The generator family cannot be baked or written in that format (the message says which).</exception>
    public async Task<string> BakedFileAsync(DomainRecord domain, Nada.Core.Service.BakedFormat format, CancellationToken ct = default)
    {
        if (domain.Kind != Nada.Core.Adaptation.DomainKind.Compact)
            throw new ArgumentException("Only a compact domain is baked; a full domain's download is already a generator.");
        string dir = Path.Combine(paths.ResolveData(domain.Directory), "baked");
        string file = Path.Combine(dir, format == Nada.Core.Service.BakedFormat.Rosinality ? "generator.pt" : "generator.safetensors");
        if (File.Exists(file)) return file;
        var gate = _bakeGates.GetOrAdd(file, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (File.Exists(file)) return file;
            string staging = Path.Combine(dir, $"staging-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            try
            {
                string written = await tools.BakeAsync(BaseGeneratorFile(domain),
                    [new Nada.Core.Adaptation.Compact.DomainWeight(paths.ResolveData(domain.GeneratorFile), 1f)], format,
                    Path.Combine(staging, Path.GetFileName(file)), ct);
                File.Move(written, file, overwrite: true);
                return file;
            }
            finally { Directory.Delete(staging, recursive: true); }
        }
        finally { gate.Release(); }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _bakeGates = new();

    /// <summary>Largest translation per axis, in image widths.</summary>
    public const double MaxTranslate = 1.0;

    /// <summary>Largest rotation either way, in degrees.</summary>
    public const double MaxRotateDegrees = 180.0;

    /// <summary>Whether the domain's samples can be translated and rotated (a StyleGAN3 generator).</summary>
    public bool SupportsTransform(DomainRecord domain) =>
        domain.Kind != Nada.Core.Adaptation.DomainKind.Compact && sampler.SupportsInputTransform(paths.ResolveData(domain.GeneratorFile));

    /// <summary>Absolute path of a domain file stored relative to the data folder.</summary>
    public string FilePath(string relative) => paths.ResolveData(relative);
}
