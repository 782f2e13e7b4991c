using Microsoft.AspNetCore.Mvc;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Security;

namespace Nada.Web.Api;

/// <summary>A gallery entry over the API.</summary>
public sealed record DomainDto(
    Guid Id, Guid JobId, string SourceText, string TargetText, string BaseModel, string Owner, DateTimeOffset CreatedAt,
    string ThumbnailUrl, string GeneratorUrl, bool Shared,
    string Kind = "Full", long SizeBytes = 0, Nada.Core.Evaluation.DomainScores? Scores = null, MixRecipe? Recipe = null,
    string? BakedUrl = null, string? BakedPtUrl = null)
{
    public static DomainDto From(DomainRecord d, string? shareToken = null)
    {
        var q = shareToken is null ? "" : $"?share={Uri.EscapeDataString(shareToken)}";
        // Shared views do not reveal the owner's email.
        bool compact = d.Kind == Nada.Core.Adaptation.DomainKind.Compact;
        string amp = q.Length == 0 ? "?" : q + "&";
        return new(d.Id, d.JobId, d.SourceText, d.TargetText, d.BaseModel, shareToken is null ? d.Owner?.Email ?? "" : "", d.CreatedAt,
            $"/files/domains/{d.Id}/thumbnail{q}", $"/files/domains/{d.Id}/generator{q}", d.ShareToken is not null,
            d.Kind.ToString(), d.SizeBytes, DomainScoring.Read(d.ScoresJson), DomainMixer.RecipeOf(d),
            compact ? $"/files/domains/{d.Id}/baked{amp}format=safetensors" : null, compact ? $"/files/domains/{d.Id}/baked{amp}format=pt" : null);
    }
}

/// <summary>Put a domain in Explore, or take it out.</summary>
public sealed record PublicRequestDto(bool Public);

/// <summary>A public domain in Explore: the gallery entry as its share link shows it (no owner email), and that link.</summary>
public sealed record ExploreDto(DomainDto Domain, string Url, DateTimeOffset PublishedAt);

/// <summary>A domain another user shared with me: the entry as its share link shows it, and that link.</summary>
public sealed record SharedWithMeDto(DomainDto Domain, string Url);

/// <summary>Seeds to sample on a domain; translation (image widths) and rotation (degrees) for StyleGAN3 domains.</summary>
public sealed record SampleRequestDto(List<int> Seeds, float TruncationPsi = 0.7f, double? TranslateX = null, double? TranslateY = null,
    double? RotateDegrees = null)
{
    /// <summary>The input transform asked for, or null when none of its fields is set.</summary>
    public Nada.Core.Generators.StyleGan3.InputTransform? Transform =>
        Nada.Core.Generators.StyleGan3.InputTransform.FromParts(TranslateX, TranslateY, RotateDegrees);
}

/// <summary>/api/domains (list, get, share, revoke, public, delete, sample, shared-with-me), /api/share/{token} and /api/explore.</summary>
public static class DomainEndpoints
{
    public static void MapDomainsApi(this IEndpointRouteBuilder app)
    {
        var domains = app.MapGroup("/api/domains").RequireAuthorization().DisableAntiforgery();
        domains.MapGet("/", async (HttpContext http, DomainService service, bool? all) =>
            (await service.ListAsync(http.User, all == true, http.RequestAborted)).Select(d => DomainDto.From(d)));
        domains.MapGet("/{id:guid}", async (Guid id, HttpContext http, DomainService service) =>
            await service.GetAsync(http.User, id, http.RequestAborted) is { } d ? Results.Ok(DomainDto.From(d)) : Results.NotFound());
        domains.MapPost("/{id:guid}/share", async (Guid id, HttpContext http, DomainService service) =>
            await service.ShareAsync(http.User, id, http.RequestAborted) is { } token
                ? Results.Ok(new { token, url = $"/s/{token}", api = $"/api/share/{token}" })
                : Results.NotFound());
        domains.MapDelete("/{id:guid}/share", async (Guid id, HttpContext http, DomainService service) =>
            await service.RevokeAsync(http.User, id, http.RequestAborted) ? Results.NoContent() : Results.NotFound());
        domains.MapPost("/{id:guid}/public", async (Guid id, [FromBody] PublicRequestDto req, HttpContext http, DomainService service) =>
            await service.SetPublicAsync(http.User, id, req.Public, http.RequestAborted) is (true, var token)
                ? Results.Ok(new { @public = req.Public, url = token is null ? null : $"/s/{token}" })
                : Results.NotFound());
        domains.MapDelete("/{id:guid}", async (Guid id, HttpContext http, DomainService service) =>
            await service.DeleteAsync(http.User, id, http.RequestAborted) ? Results.NoContent() : Results.NotFound());
        domains.MapPost("/{id:guid}/samples", async (Guid id, [FromBody] SampleRequestDto req, HttpContext http, DomainService service) =>
        {
            if (await service.GetAsync(http.User, id, http.RequestAborted) is not { } d) return Results.NotFound();
            try
            {
                var pngs = await service.SampleAsync(d, req.Seeds ?? [], req.TruncationPsi, req.Transform, http.RequestAborted);
                return Results.Ok(pngs.Select((p, i) => new { seed = req.Seeds![i], png = Convert.ToBase64String(p) }));
            }
            catch (ArgumentException e) { return Results.BadRequest(new { error = e.Message }); }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        // Domains others shared with me (links I opened signed in), while the links work; and taking one off that list.
        domains.MapGet("/shared-with-me", async (HttpContext http, DomainService service) =>
            (await service.ListSharedWithMeAsync(http.User, http.RequestAborted))
                .Select(d => new SharedWithMeDto(DomainDto.From(d, d.ShareToken), $"/s/{d.ShareToken}")));
        domains.MapDelete("/shared-with-me/{id:guid}", async (Guid id, HttpContext http, DomainService service) =>
            await service.ForgetSharedAsync(http.User, id, http.RequestAborted) ? Results.NoContent() : Results.NotFound());

        // Opened signed in (not by its owner), a share link puts the domain on the user's "Shared with me" list.
        app.MapGet("/api/share/{token}", async (string token, DomainService service, HttpContext http) =>
        {
            if (await service.GetSharedAsync(token, http.RequestAborted) is not { } d) return Results.NotFound();
            await service.RememberSharedAsync(http.User, d, http.RequestAborted);
            return Results.Ok(DomainDto.From(d, token));
        }).AllowAnonymous();
        app.MapGet("/api/explore", async (DomainService service, HttpContext http, int? take) =>
            (await service.ListPublicAsync(take ?? 60, http.RequestAborted))
                .Select(d => new ExploreDto(DomainDto.From(d, d.ShareToken), $"/s/{d.ShareToken}", d.PublishedAt!.Value)))
            .AllowAnonymous();
    }
}
