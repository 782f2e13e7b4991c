using Microsoft.AspNetCore.Mvc;
using Nada.Core.Editing;
using Nada.Web.Data;
using Nada.Web.Edits;
using Nada.Web.Jobs;
using Nada.Web.Jobs.Kinds;

namespace Nada.Web.Api;

/// <summary>An edit or inversion submission over the API; the photo as base64.</summary>
public sealed record SubmitEditDto(
    string Kind,
    string Generator,
    List<string>? ClipModels = null,
    string? Text = null,
    EditSource Source = EditSource.Seed,
    int Seed = 0,
    Guid? LatentJobId = null,
    StyleImageDto? Photo = null,
    int Steps = 50,
    double? LearningRate = null,
    double? L2Weight = null,
    int? InversionSteps = null,
    int? PreviewEvery = null,
    List<float>? ClipWeights = null);

/// <summary>An edit or inversion job with its result files.</summary>
public sealed record EditSummaryDto(Guid Id, string Kind, string Title, JobStatus Status, DateTimeOffset CreatedAt, string? Error,
    IReadOnlyDictionary<string, string> Files, double? StartScore, double? FinalScore);

/// <summary>/api/edits: submit and list edits and inversions, render and blend their latents; /files/edits: their files.</summary>
public static class EditEndpoints
{
    public static void MapEditsApi(this IEndpointRouteBuilder app)
    {
        var edits = app.MapGroup("/api/edits").RequireAuthorization().DisableAntiforgery();

        edits.MapPost("/", async ([FromBody] SubmitEditDto dto, HttpContext http, JobService service, JobKinds kinds) =>
        {
            var kind = kinds.ByApiName(dto.Kind)?.Kind;
            if (kind is not (JobKind.LatentEdit or JobKind.PhotoInvert))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["Kind"] = [$"Unknown kind '{dto.Kind}'; use latent-edit or photo-invert."] });
            var defaults = new EditInput();
            var input = new EditInput
            {
                Kind = kind.Value,
                Generator = dto.Generator ?? "",
                ClipModels = dto.ClipModels ?? [],
                ClipWeights = dto.ClipWeights,
                Text = dto.Text ?? "",
                Source = dto.Source,
                Seed = dto.Seed,
                LatentJobId = dto.LatentJobId,
                Steps = dto.Steps,
                LearningRate = dto.LearningRate ?? defaults.LearningRate,
                L2Weight = dto.L2Weight ?? defaults.L2Weight,
                InversionSteps = dto.InversionSteps ?? defaults.InversionSteps,
                PreviewEvery = dto.PreviewEvery ?? defaults.PreviewEvery,
            };
            if (dto.Photo is { } p)
            {
                if (JobEndpoints.Decode(p, "Photo") is not { } bytes)
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["Photo"] = [$"'{p.FileName}' is not valid base64."] });
                input.Photo = new UploadedImage(p.FileName ?? "photo", bytes);
            }
            return JobEndpoints.Submitted(await service.SubmitAsync(http.User, input, http.RequestAborted));
        });

        edits.MapGet("/", async (HttpContext http, EditService service, EditResults results, JobKinds kinds) =>
            (await service.ListAsync(http.User, http.RequestAborted)).Select(j => Summary(j, results, kinds)));

        edits.MapGet("/{id:guid}", async (Guid id, HttpContext http, EditService service, EditResults results, JobKinds kinds) =>
            await service.GetAsync(http.User, id, http.RequestAborted) is { } job ? Results.Ok(Summary(job, results, kinds)) : Results.NotFound());

        // Render the latent with its own generator, with one domain (?on=), or blended with gallery domains at alpha.
        edits.MapGet("/{id:guid}/render", async (Guid id, float? alpha, [FromQuery] Guid[]? domainIds, Guid? on, HttpContext http, EditService service, JobErrors errors) =>
        {
            try
            {
                var png = await service.RenderAsync(http.User, id, domainIds ?? [], alpha ?? 1f, on, http.RequestAborted);
                return png is null ? Results.NotFound() : Results.File(png, "image/png");
            }
            catch (Exception e) when (e is LatentMismatchException or ArgumentException or InvalidDataException)
            {
                return Results.BadRequest(new { error = errors.Clean(e.Message) });
            }
        }).RequireRateLimiting(Hosting.NadaWebServices.SamplingPolicy);

        app.MapGet("/files/edits/{id:guid}/{name}", async (Guid id, string name, HttpContext http, EditService service, EditResults results) =>
        {
            if (await service.GetAsync(http.User, id, http.RequestAborted) is null || results.File(id, name) is not { } file) return Results.NotFound();
            return name == "latent"
                ? Results.File(file, "application/octet-stream", $"nada-latent-{id.ToString("N")[..8]}.safetensors")
                : Results.File(file, "image/png");
        }).AllowAnonymous();
    }

    private static EditSummaryDto Summary(JobRecord job, EditResults results, JobKinds kinds)
    {
        var scores = results.Scores(job.Id);
        return new EditSummaryDto(job.Id, kinds.For(job.Kind).ApiName, job.Title, job.Status, job.CreatedAt, job.Error,
            results.Present(job.Id).ToDictionary(n => n, n => EditResults.Url(job.Id, n)), scores?.StartScore, scores?.FinalScore);
    }
}
