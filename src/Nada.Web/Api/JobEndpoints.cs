using Microsoft.AspNetCore.Mvc;
using Nada.Core.Adaptation;
using Nada.Web.Data;
using Nada.Web.Jobs;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Progress;
using Nada.Web.Security;

namespace Nada.Web.Api;

/// <summary>
/// A job submission over the API; style images as base64. <c>kind</c>: "Full" (default) or "Compact"; <c>extraTargets</c>:
/// compact only, more targets after <c>targetText</c> (one domain each). A compact job without options gets the
/// HyperDomainNet preset.
/// </summary>
public sealed record SubmitJobDto(
    string Generator,
    List<string> ClipModels,
    string SourceText,
    string TargetText,
    int Iterations,
    List<float>? ClipWeights = null,
    List<StyleImageDto>? StyleImages = null,
    AdaptationOptions? Options = null,
    DomainKind? Kind = null,
    List<string>? ExtraTargets = null);

/// <summary>One uploaded image over the API.</summary>
public sealed record StyleImageDto(string FileName, string Base64);

/// <summary>A job in a list.</summary>
public sealed record JobSummaryDto(Guid Id, string Title, JobStatus Status, string Owner, DateTimeOffset CreatedAt, string? Error, Guid? DomainId,
    string Kind = "adaptation", int? QueuePosition = null, DateTimeOffset? EstimatedStart = null, int Priority = 0);

/// <summary>A user's standing against their limits.</summary>
public sealed record QuotaDto(int? MaxQueued, int? MaxRunning, double? GpuMinutesPerDay, int Queued, int Running, double GpuMinutesToday,
    double? GpuMinutesLeft, int? JobsLeft, DateTimeOffset ResetsAt);

/// <summary>An admin's change of a job's priority.</summary>
public sealed record PriorityDto(int Priority);

/// <summary>An admin's change of a role's limits (null: no limit).</summary>
public sealed record RoleLimitsDto(int? MaxQueued, int? MaxRunning, double? GpuMinutesPerDay);

/// <summary>/api/jobs: submit, list, status and history, cancel; /api/quota: my limits; admin: re-queue, delete, priority, usage, role limits.</summary>
public static class JobEndpoints
{
    public static void MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").RequireAuthorization().DisableAntiforgery();

        jobs.MapPost("/", async ([FromBody] SubmitJobDto dto, HttpContext http, JobService service) =>
        {
            var input = new AdaptationInput
            {
                Generator = dto.Generator ?? "",
                ClipModels = dto.ClipModels ?? [],
                ClipWeights = dto.ClipWeights,
                SourceText = dto.SourceText ?? "",
                TargetText = dto.TargetText ?? "",
                Iterations = dto.Iterations,
                Kind = dto.Kind ?? DomainKind.Full,
                ExtraTargets = dto.ExtraTargets ?? [],
                Options = dto.Options ?? (dto.Kind == DomainKind.Compact ? AdaptationOptions.HyperDomainNetPreset : new AdaptationOptions()),
            };
            foreach (var img in dto.StyleImages ?? [])
            {
                if (Decode(img, "StyleImages") is not { } bytes)
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["StyleImages"] = [$"'{img.FileName}' is not valid base64."] });
                input.StyleImages.Add(new UploadedImage(img.FileName ?? "upload", bytes));
            }
            return Submitted(await service.SubmitAsync(http.User, input, http.RequestAborted));
        });

        jobs.MapGet("/", async (HttpContext http, JobService service, JobKinds kinds, bool? all) =>
        {
            var list = await service.ListAsync(http.User, all == true, ct: http.RequestAborted);
            var queue = await service.QueueAsync(http.RequestAborted);
            return list.Select(j => Summary(j, kinds, queue.GetValueOrDefault(j.Id)));
        });

        jobs.MapGet("/{id:guid}", async (Guid id, HttpContext http, JobService service, ProgressStore store) =>
        {
            var job = await service.GetAsync(http.User, id, http.RequestAborted);
            if (job is null) return Results.NotFound();
            var place = job.Status == JobStatus.Queued ? await service.PlaceAsync(id, http.RequestAborted) : null;
            return Results.Ok(JobProgressDto.For(job, store.Get(id, job.Status), place));
        });

        jobs.MapDelete("/{id:guid}", async (Guid id, HttpContext http, JobService service) =>
        {
            if (await service.GetAsync(http.User, id, http.RequestAborted) is not { } job) return Results.NotFound();
            if (job.Status is JobStatus.Queued or JobStatus.Running) return Results.Conflict(new { error = "Cancel the job first: only finished jobs can be deleted." });
            return await service.DeleteAsync(http.User, id, http.RequestAborted) ? Results.NoContent() : Results.NotFound();
        });

        jobs.MapPost("/{id:guid}/cancel", async (Guid id, HttpContext http, JobService service) =>
            await service.CancelAsync(http.User, id, http.RequestAborted) ? Results.Accepted() : Results.NotFound());

        app.MapGet("/api/quota", async (HttpContext http, QuotaService quotas) =>
        {
            var s = await quotas.StatusAsync(http.User.UserId()!, http.RequestAborted);
            return new QuotaDto(s.Limits.MaxQueued, s.Limits.MaxRunning, s.Limits.GpuMinutesPerDay, s.Queued, s.Running,
                s.GpuSecondsToday / 60, s.GpuMinutesLeft, s.JobsLeft, s.ResetsAt);
        }).RequireAuthorization();

        var admin = app.MapGroup("/api/admin").RequireAuthorization(p => p.RequireRole(Roles.Admin)).DisableAntiforgery();
        admin.MapPost("/jobs/{id:guid}/requeue", async (Guid id, HttpContext http, JobService service) =>
            await service.RequeueAsync(http.User, id) ? Results.Accepted() : Results.Conflict(new { error = "Only failed or cancelled jobs can be re-queued." }));
        admin.MapDelete("/jobs/{id:guid}", async (Guid id, HttpContext http, JobService service) =>
            await service.DeleteAsync(http.User, id) ? Results.NoContent() : Results.Conflict(new { error = "Only finished jobs can be deleted." }));
        admin.MapPost("/jobs/{id:guid}/priority", async (Guid id, [FromBody] PriorityDto dto, HttpContext http, JobService service) =>
        {
            try { return await service.SetPriorityAsync(http.User, id, dto.Priority) ? Results.NoContent() : Results.NotFound(); }
            catch (ArgumentException e) { return Results.ValidationProblem(new Dictionary<string, string[]> { ["Priority"] = [e.Message] }); }
        });
        admin.MapGet("/usage", async (QuotaService quotas, HttpContext http) => await quotas.UsageAsync(http.RequestAborted));
        admin.MapGet("/quotas", async (QuotaService quotas, Microsoft.EntityFrameworkCore.IDbContextFactory<NadaDbContext> dbFactory, HttpContext http) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            return await quotas.RolesAsync(db, http.RequestAborted);
        });
        admin.MapPut("/quotas/{role}", async (string role, [FromBody] RoleLimitsDto dto, QuotaService quotas, HttpContext http) =>
        {
            try
            {
                await quotas.SetRoleAsync(role, dto.MaxQueued, dto.MaxRunning, dto.GpuMinutesPerDay, http.RequestAborted);
                return Results.NoContent();
            }
            catch (ArgumentException e) { return Results.ValidationProblem(new Dictionary<string, string[]> { [""] = [e.Message] }); }
        });
    }

    /// <summary>201 with the id, 429 for a limit, 400 with the field errors.</summary>
    public static IResult Submitted(SubmitResult r)
    {
        if (r.JobId is { } id) return Results.Created($"/api/jobs/{id}", new { id });
        return r.TooMany
            ? Results.Problem(string.Join(" ", r.Errors.Values), statusCode: StatusCodes.Status429TooManyRequests)
            : Results.ValidationProblem(r.Errors.ToDictionary(e => e.Key, e => new[] { e.Value }));
    }

    /// <summary>The bytes of a base64 upload, or null when it is not base64.</summary>
    public static byte[]? Decode(StyleImageDto image, string field)
    {
        try { return Convert.FromBase64String(image.Base64 ?? ""); }
        catch (FormatException) { return null; }
    }

    private static JobSummaryDto Summary(JobRecord j, JobKinds kinds, QueuePlace? place) =>
        new(j.Id, j.Title, j.Status, j.Owner?.Email ?? "", j.CreatedAt, j.Error, j.DomainId, kinds.For(j.Kind).ApiName,
            place?.Position, place?.EstimatedStart, j.Priority);
}
