using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Jobs;
using Nada.Web.Progress;

namespace Nada.Web.Api;

/// <summary>
/// Files behind the access rules: live previews, domain thumbnails and generators. Open to the owner, admins and
/// holders of the domain's share token (?share=...); everyone else gets 404.
/// </summary>
public static class FileEndpoints
{
    public static void MapFiles(this IEndpointRouteBuilder app)
    {
        var files = app.MapGroup("/files").AllowAnonymous();

        files.MapGet("/jobs/{id:guid}/previews/{step:int}", async (Guid id, int step, string? share, HttpContext http,
            JobService jobs, DomainService domains, ProgressStore store) =>
        {
            var allowed = await jobs.GetAsync(http.User, id, http.RequestAborted) is not null
                || await domains.TokenOpensJobAsync(id, share, http.RequestAborted);
            var file = store.PreviewFile(id, step);
            if (!allowed || file is null) return Results.NotFound();
            http.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.File(file, "image/png");
        });

        files.MapGet("/domains/{id:guid}/thumbnail", async (Guid id, string? share, HttpContext http, DomainService domains) =>
            await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is { } d
                ? Results.File(domains.FilePath(d.ThumbnailFile), "image/png")
                : Results.NotFound());

        files.MapGet("/domains/{id:guid}/generator", async (Guid id, string? share, HttpContext http, DomainService domains) =>
        {
            if (await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is not { } d) return Results.NotFound();
            var path = domains.FilePath(d.GeneratorFile);
            var name = $"{DownloadName(d)}{Path.GetExtension(path)}";
            return Results.File(path, "application/octet-stream", name);
        });

        // A compact domain baked into a full generator: ?format=safetensors (ours, default) or pt (rosinality's stylegan2-pytorch).
        files.MapGet("/domains/{id:guid}/baked", async (Guid id, string? share, string? format, HttpContext http, DomainService domains) =>
        {
            if (await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is not { } d) return Results.NotFound();
            var f = format?.ToLowerInvariant() switch
            {
                null or "" or "safetensors" => (Nada.Core.Service.BakedFormat?)Nada.Core.Service.BakedFormat.SafeTensors,
                "pt" or "rosinality" => Nada.Core.Service.BakedFormat.Rosinality,
                _ => null,
            };
            if (f is null) return Results.BadRequest(new { error = $"Unknown format '{format}'; use safetensors or pt." });
            try
            {
                var path = await domains.BakedFileAsync(d, f.Value, http.RequestAborted);
                var name = $"{DownloadName(d)}-full{Path.GetExtension(path)}";
                return Results.File(path, "application/octet-stream", name);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        // A mix of compact domains rendered at one seed: ?d=ID:ALPHA (repeated), psi. Parts checked as the mix page's save.
        files.MapGet("/mix/{seed:int}", async (int seed, string[]? d, float? psi, HttpContext http, DomainMixer mixer) =>
        {
            if (http.User.Identity?.IsAuthenticated != true) return Results.NotFound();
            if (MixParts.Parse(d ?? []) is not { } parts) return Results.BadRequest(new { error = "Give the parts as d=DOMAIN-ID:STRENGTH." });
            var check = await mixer.CheckAsync(http.User, parts, http.RequestAborted);
            if (check.NotFound) return Results.NotFound();
            if (check.Error is not null) return Results.BadRequest(new { error = check.Error });
            try { return Results.File((await mixer.RenderAsync(check, parts, [seed], psi ?? 0.7f, http.RequestAborted))[0], "image/png"); }
            catch (ArgumentException e) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        // tx, ty (image widths) and rot (degrees): StyleGAN3's input transform; absent means as stored.
        // The same seed on the generator the domain was made from (compare pages): visible where the domain is.
        files.MapGet("/domains/{id:guid}/base-samples/{seed:int}", async (Guid id, int seed, string? share, float? psi, HttpContext http, DomainService domains) =>
        {
            if (await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is not { } d) return Results.NotFound();
            try { return Results.File((await domains.SampleBaseAsync(d, [seed], psi ?? 0.7f, http.RequestAborted))[0], "image/png"); }
            catch (ArgumentException e) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        // The seeds on a domain page in one download: ?seeds=1-4,7 (the CLI's ranges, at most Limits:MaxSampleSeeds), psi and the
        // StyleGAN3 transform as for one sample; one PNG per seed and about.txt (prompts, model, settings) in a zip.
        files.MapGet("/domains/{id:guid}/samples.zip", async (Guid id, string? seeds, string? share, float? psi, double? tx, double? ty, double? rot,
            HttpContext http, DomainService domains, Microsoft.Extensions.Options.IOptions<Options.LimitsOptions> limits) =>
        {
            if (await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is not { } d) return Results.NotFound();
            IReadOnlyList<int> list;
            try { list = [.. Nada.Core.Generators.SeedRanges.Parse(seeds, limits.Value.MaxSampleSeeds).Distinct()]; }   // one file per seed
            catch (FormatException e) { return Results.BadRequest(new { error = e.Message }); }
            var transform = Nada.Core.Generators.StyleGan3.InputTransform.FromParts(tx, ty, rot);
            float truncation = psi ?? 0.7f;
            try
            {
                var pngs = await domains.SampleAsync(d, list, truncation, transform, http.RequestAborted);
                var name = DownloadName(d);
                return Results.File(SampleZip.Write(d, name, list, pngs, truncation, transform), "application/zip", $"{name}-samples.zip");
            }
            catch (ArgumentException e) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        files.MapGet("/domains/{id:guid}/samples/{seed:int}", async (Guid id, int seed, string? share, float? psi, double? tx, double? ty, double? rot,
            HttpContext http, DomainService domains) =>
        {
            if (await domains.GetVisibleAsync(http.User, id, share, http.RequestAborted) is not { } d) return Results.NotFound();
            var transform = Nada.Core.Generators.StyleGan3.InputTransform.FromParts(tx, ty, rot);
            try { return Results.File((await domains.SampleAsync(d, [seed], psi ?? 0.7f, transform, http.RequestAborted))[0], "image/png"); }
            catch (ArgumentException e) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);
    }

    /// <summary>The start of a domain's download file names: nada-TARGET-ID8.</summary>
    private static string DownloadName(DomainRecord d) => $"nada-{Slug(d.TargetText)}-{d.Id.ToString("N")[..8]}";

    private static string Slug(string text)
    {
        var s = new string(text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return s.Length == 0 ? "domain" : s[..Math.Min(s.Length, 40)];
    }
}
