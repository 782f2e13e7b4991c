using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Nada.Core.Adaptation;
using Nada.Web.Data;
using Nada.Web.Jobs;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Api;

/// <summary>A job submission over the API; style images as base64.</summary>
public sealed record SubmitJobDto(
    string Generator,
    List<string> ClipModels,
    string SourceText,
    string TargetText,
    int Iterations,
    List<float>? ClipWeights = null,
    List<StyleImageDto>? StyleImages = null,
    AdaptationOptions? Options = null);

/// <summary>One uploaded style image over the API.</summary>
public sealed record StyleImageDto(string FileName, string Base64);

/// <summary>A job in a list.</summary>
public sealed record JobSummaryDto(Guid Id, string Title, JobStatus Status, string Owner, DateTimeOffset CreatedAt, string? Error, Guid? DomainId);

/// <summary>/api/jobs: submit, list, status and history, cancel.</summary>
public static class JobEndpoints
{
    public static void MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").RequireAuthorization().DisableAntiforgery();

        jobs.MapPost("/", async ([FromBody] SubmitJobDto dto, HttpContext http, JobService service) =>
        {
            var input = new SubmitInput
            {
                Generator = dto.Generator ?? "",
                ClipModels = dto.ClipModels ?? [],
                ClipWeights = dto.ClipWeights,
                SourceText = dto.SourceText ?? "",
                TargetText = dto.TargetText ?? "",
                Iterations = dto.Iterations,
                Options = dto.Options ?? new AdaptationOptions(),
            };
            foreach (var img in dto.StyleImages ?? [])
            {
                byte[] bytes;
                try { bytes = Convert.FromBase64String(img.Base64 ?? ""); }
                catch (FormatException) { return Results.ValidationProblem(new Dictionary<string, string[]> { ["StyleImages"] = [$"'{img.FileName}' is not valid base64."] }); }
                input.StyleImages.Add(new UploadedImage(img.FileName ?? "upload", bytes));
            }
            var r = await service.SubmitAsync(http.User, input, http.RequestAborted);
            if (r.JobId is { } id) return Results.Created($"/api/jobs/{id}", new { id });
            var errors = r.Errors.ToDictionary(e => e.Key, e => new[] { e.Value });
            return r.TooMany
                ? Results.Problem(string.Join(" ", r.Errors.Values), statusCode: StatusCodes.Status429TooManyRequests)
                : Results.ValidationProblem(errors);
        });

        jobs.MapGet("/", async (HttpContext http, JobService service, bool? all) =>
            (await service.ListAsync(http.User, all == true, http.RequestAborted))
                .Select(j => new JobSummaryDto(j.Id, j.Title, j.Status, j.Owner?.Email ?? "", j.CreatedAt, j.Error, j.DomainId)));

        jobs.MapGet("/{id:guid}", async (Guid id, HttpContext http, JobService service, ProgressStore store) =>
        {
            var job = await service.GetAsync(http.User, id, http.RequestAborted);
            if (job is null) return Results.NotFound();
            var snapshot = store.Get(id, job.Status) with { Status = job.Status, Error = job.Error, DomainId = job.DomainId };
            return Results.Ok(JobProgressDto.From(snapshot, job.Title, Edits.JobSpecs.TotalSteps(job), await service.QueuePositionAsync(id, http.RequestAborted)));
        });

        jobs.MapPost("/{id:guid}/cancel", async (Guid id, HttpContext http, JobService service) =>
            await service.CancelAsync(http.User, id, http.RequestAborted) ? Results.Accepted() : Results.NotFound());

        var admin = app.MapGroup("/api/admin/jobs").RequireAuthorization(p => p.RequireRole(Roles.Admin)).DisableAntiforgery();
        admin.MapPost("/{id:guid}/requeue", async (Guid id, HttpContext http, JobService service) =>
            await service.RequeueAsync(http.User, id) ? Results.Accepted() : Results.Conflict(new { error = "Only failed or cancelled jobs can be re-queued." }));
        admin.MapDelete("/{id:guid}", async (Guid id, HttpContext http, JobService service) =>
            await service.DeleteAsync(http.User, id) ? Results.NoContent() : Results.Conflict(new { error = "Only finished jobs can be deleted." }));
    }
}
