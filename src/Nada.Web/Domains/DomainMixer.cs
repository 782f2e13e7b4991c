using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Service;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Options;
using Nada.Web.Security;
using SkiaSharp;

namespace Nada.Web.Domains;

/// <summary>The outcome of a mix request: the parts it may use, or why not (<see cref="NotFound"/>: answer 404).</summary>
/// <param name="Domains">The visible compact domains, in the request's order.</param>
/// <param name="BaseGeneratorFile">Their base generator's file.</param>
/// <param name="Error">A message for the user (400), or null.</param>
/// <param name="NotFound">A part is not a domain the user may see (unknown, someone else's, or not compact).</param>
public sealed record MixCheck(IReadOnlyList<DomainRecord> Domains, string BaseGeneratorFile, string? Error, bool NotFound)
{
    /// <summary>The parts may be mixed.</summary>
    public bool Ok => Error is null && !NotFound;
}

/// <summary>
/// Mixes compact domains of one base generator (sum_i alpha_i d_i): renders seeds through <see cref="IDomainSampler"/>
/// (the broker's interactive path, as the domain page) and saves a mix as a new compact gallery domain with its recipe.
/// Every part is looked up with the gallery's rule (<see cref="DomainService.GetAsync"/>: the owner's, or any for an admin);
/// anything else answers as not found, the same for someone else's id as for a random one.
/// </summary>
public sealed class DomainMixer(
    IDbContextFactory<NadaDbContext> dbFactory,
    DomainService domains,
    DomainStore store,
    IDomainSampler sampler,
    ICompactDomainTools tools,
    IModelCatalog catalog,
    IOptions<LimitsOptions> limits)
{
    /// <summary>Seeds the mix page renders and a saved mix's thumbnail shows.</summary>
    public static readonly IReadOnlyList<int> PreviewSeeds = [1, 2, 3, 4];

    /// <summary>The compact domains the user may mix (their own; every one for an admin who asks), newest first.</summary>
    public async Task<List<DomainRecord>> MixableAsync(ClaimsPrincipal user, CancellationToken ct = default) =>
        (await domains.ListAsync(user, all: false, ct)).Where(d => d.Kind == DomainKind.Compact).ToList();

    /// <summary>Checks a mix: 1 to Limits:MaxMixDomains parts, each a visible compact domain once, one base generator, strengths in range.</summary>
    public async Task<MixCheck> CheckAsync(ClaimsPrincipal user, IReadOnlyList<MixPart> parts, CancellationToken ct = default)
    {
        int max = limits.Value.MaxMixDomains;
        if (parts.Count == 0) return new MixCheck([], "", "Choose at least one compact domain to mix.", false);
        if (parts.Count > max) return new MixCheck([], "", $"{parts.Count} domains chosen; at most {max} can be mixed at once.", false);
        if (parts.Select(p => p.DomainId).Distinct().Count() != parts.Count) return new MixCheck([], "", "Each domain can be in a mix once.", false);
        var found = new List<DomainRecord>();
        foreach (var p in parts)
        {
            var d = await domains.GetAsync(user, p.DomainId, ct);
            if (d is null || d.Kind != DomainKind.Compact) return new MixCheck([], "", null, true);
            found.Add(d);
        }
        if (found.Select(d => d.BaseModel).Distinct().Count() > 1)
            return new MixCheck(found, "", "These domains belong to different base generators (" + string.Join(", ", found.Select(d => d.BaseModel).Distinct()) +
                "); only compact domains of one base generator can be mixed.", false);
        foreach (var (p, d) in parts.Zip(found))
        {
            try { DomainMix.CheckAlpha(p.Alpha, Title(d)); }
            catch (ArgumentException e) { return new MixCheck(found, "", e.Message, false); }
        }
        var baseFile = catalog.Generators().FirstOrDefault(g => g.Id == found[0].BaseModel)?.Path;
        if (baseFile is null) return new MixCheck(found, "", $"The base generator '{found[0].BaseModel}' is no longer in the models folder; these domains cannot be rendered.", false);
        return new MixCheck(found, baseFile, null, false);
    }

    /// <summary>One PNG per seed of the checked mix (the broker's interactive path).</summary>
    public Task<IReadOnlyList<byte[]>> RenderAsync(MixCheck mix, IReadOnlyList<MixPart> parts, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default)
    {
        if (!mix.Ok) throw new InvalidOperationException("Render a checked mix only.");
        if (seeds.Count == 0 || seeds.Count > limits.Value.MaxSampleSeeds) throw new ArgumentException($"Give 1 to {limits.Value.MaxSampleSeeds} seeds.");
        if (!float.IsFinite(truncationPsi) || truncationPsi < 0 || truncationPsi > 1) throw new ArgumentException("Truncation psi must be between 0 and 1.");
        return sampler.SampleMixPngAsync(mix.BaseGeneratorFile, Weights(mix, parts), seeds, truncationPsi, ct);
    }

    /// <summary>
    /// Saves the checked mix as a new compact domain of the user (its file, a thumbnail of <see cref="PreviewSeeds"/>, its
    /// recipe); returns it.
    /// </summary>
    public async Task<DomainRecord> SaveAsync(ClaimsPrincipal user, MixCheck mix, IReadOnlyList<MixPart> parts, string? name, CancellationToken ct = default)
    {
        if (!mix.Ok) throw new InvalidOperationException("Save a checked mix only.");
        var id = Guid.NewGuid();
        string dir = store.CreateDir(id);
        try
        {
            string file = Path.Combine(dir, "mix.safetensors");
            string title = string.IsNullOrWhiteSpace(name)
                ? string.Join(" + ", parts.Zip(mix.Domains).Select(x => $"{x.Second.TargetText} {x.First.Alpha.ToString("0.##", CultureInfo.InvariantCulture)}"))
                : name.Trim();
            if (title.Length > limits.Value.MaxPromptLength) title = title[..limits.Value.MaxPromptLength];
            await tools.SaveMixAsync(Weights(mix, parts), file, mix.Domains[0].SourceText, title, ct);
            var pngs = await sampler.SampleMixPngAsync(mix.BaseGeneratorFile, [new DomainWeight(file, 1f)], PreviewSeeds, 0.7f, ct);
            string thumb = Path.Combine(dir, "thumbnail.png");
            await File.WriteAllBytesAsync(thumb, Row(pngs), ct);
            var record = new DomainRecord
            {
                Id = id,
                JobId = id,          // no job made it; its own id keeps job-keyed lookups (share viewers) apart from every job
                OwnerId = user.UserId() ?? throw new InvalidOperationException("A signed-in user saves mixes."),
                SourceText = mix.Domains[0].SourceText,
                TargetText = title,
                BaseModel = mix.Domains[0].BaseModel,
                SettingsJson = "{}",
                Directory = store.ToRelative(dir),
                GeneratorFile = store.ToRelative(file),
                ThumbnailFile = store.ToRelative(thumb),
                CreatedAt = DateTimeOffset.UtcNow,
                Kind = DomainKind.Compact,
                SizeBytes = new FileInfo(file).Length,
                RecipeJson = JsonSerializer.Serialize(new MixRecipe(parts, mix.Domains.Select(Title).ToList())),
            };
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            db.Domains.Add(record);
            await db.SaveChangesAsync(ct);
            return record;
        }
        catch
        {
            store.Delete(id);
            throw;
        }
    }

    /// <summary>A saved mix's recipe, or null for a trained domain.</summary>
    public static MixRecipe? RecipeOf(DomainRecord d)
    {
        if (string.IsNullOrEmpty(d.RecipeJson)) return null;
        try { return JsonSerializer.Deserialize<MixRecipe>(d.RecipeJson); }
        catch (JsonException) { return null; }
    }

    /// <summary>"photo -> sketch".</summary>
    public static string Title(DomainRecord d) => $"{d.SourceText} -> {d.TargetText}";

    private List<DomainWeight> Weights(MixCheck mix, IReadOnlyList<MixPart> parts) =>
        parts.Zip(mix.Domains).Select(x => new DomainWeight(domains.FilePath(x.Second.GeneratorFile), x.First.Alpha)).ToList();

    /// <summary>PNGs side by side (same height) as one PNG.</summary>
    private static byte[] Row(IReadOnlyList<byte[]> pngs)
    {
        var bitmaps = pngs.Select(p => SKBitmap.Decode(p)).ToList();
        try
        {
            int w = bitmaps.Sum(b => b.Width) + 2 * (bitmaps.Count - 1), h = bitmaps.Max(b => b.Height);
            using var surface = SKSurface.Create(new SKImageInfo(w, h));
            surface.Canvas.Clear(SKColors.White);
            int x = 0;
            foreach (var b in bitmaps) { surface.Canvas.DrawBitmap(b, x, 0); x += b.Width + 2; }
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            return data.ToArray();
        }
        finally { foreach (var b in bitmaps) b.Dispose(); }
    }
}
