using Microsoft.AspNetCore.Mvc;
using Nada.Web.Domains;

namespace Nada.Web.Api;

/// <summary>A mix over the API: gallery domain ids with strengths.</summary>
public sealed record MixRequestDto(List<MixPart> Parts, List<int>? Seeds = null, float TruncationPsi = 0.7f, string? Name = null);

/// <summary>
/// /api/mix: the compact domains I may mix, renders of a mix, and saving a mix as a new compact domain. Every part must
/// be a compact domain the caller may see (else 404, the same for someone else's id as for a random one); JSON bodies
/// only (the CSRF guard's rule for state-changing requests).
/// </summary>
public static class MixEndpoints
{
    public static void MapMixApi(this IEndpointRouteBuilder app)
    {
        var mix = app.MapGroup("/api/mix").RequireAuthorization().DisableAntiforgery();
        mix.MapGet("/domains", async (HttpContext http, DomainMixer mixer) =>
            (await mixer.MixableAsync(http.User, http.RequestAborted)).Select(d => DomainDto.From(d)));

        mix.MapPost("/samples", async ([FromBody] MixRequestDto req, HttpContext http, DomainMixer mixer) =>
        {
            var parts = req.Parts ?? [];
            var check = await mixer.CheckAsync(http.User, parts, http.RequestAborted);
            if (check.NotFound) return Results.NotFound();
            if (check.Error is not null) return Results.ValidationProblem(new Dictionary<string, string[]> { ["Parts"] = [check.Error] });
            var seeds = req.Seeds is { Count: > 0 } s ? s : DomainMixer.PreviewSeeds.ToList();
            try
            {
                var pngs = await mixer.RenderAsync(check, parts, seeds, req.TruncationPsi, http.RequestAborted);
                return Results.Ok(pngs.Select((p, i) => new { seed = seeds[i], png = Convert.ToBase64String(p) }));
            }
            catch (ArgumentException e) { return Results.ValidationProblem(new Dictionary<string, string[]> { ["Seeds"] = [e.Message] }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        mix.MapPost("/", async ([FromBody] MixRequestDto req, HttpContext http, DomainMixer mixer) =>
        {
            var parts = req.Parts ?? [];
            var check = await mixer.CheckAsync(http.User, parts, http.RequestAborted);
            if (check.NotFound) return Results.NotFound();
            if (check.Error is not null) return Results.ValidationProblem(new Dictionary<string, string[]> { ["Parts"] = [check.Error] });
            var saved = await mixer.SaveAsync(http.User, check, parts, req.Name, http.RequestAborted);
            return Results.Created($"/api/domains/{saved.Id}", DomainDto.From(saved));
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);
    }
}
