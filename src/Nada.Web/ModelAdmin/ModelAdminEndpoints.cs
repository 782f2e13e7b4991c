using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Nada.Core.Models;
using Nada.Web.Data;

namespace Nada.Web.ModelAdmin;

/// <summary>/api/admin/models: the registry with each model's state, downloads, verification and uploads (admin only).</summary>
public static class ModelAdminEndpoints
{
    public static void MapModelAdminApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/admin/models").RequireAuthorization(p => p.RequireRole(Roles.Admin)).DisableAntiforgery();

        models.MapGet("/", (ModelAdminService service) => Results.Ok(service.List()));

        models.MapGet("/{id}", (string id, ModelAdminService service) =>
            service.Get(id) is { } row ? Results.Ok(row) : UnknownModel(service, id));

        models.MapPost("/{id}/download", (string id, ModelAdminService service) =>
        {
            if (service.Registry.TryFind(id) is null) return UnknownModel(service, id);
            bool started = service.StartDownload(id);
            return Results.Accepted($"/api/admin/models/{id}", new { id = service.Registry.Find(id).Id, started, model = service.Get(id) });
        });

        models.MapPost("/{id}/verify", async (string id, ModelAdminService service, HttpContext http) =>
        {
            if (service.Registry.TryFind(id) is null) return UnknownModel(service, id);
            var v = await service.VerifyAsync(id, http.RequestAborted);
            return Results.Ok(new { id = v.ModelId, ok = v.IsOk, status = v.Status.ToString(), sha256 = v.ActualSha256, expected = v.ExpectedSha256, message = v.Message });
        });

        models.MapGet("/previews/{name}", (string name, ModelUploadService uploads) =>
            uploads.PreviewFile(name) is { } file ? Results.File(file, "image/png") : Results.NotFound());

        // multipart/form-data: "name" and optional "kind" (generator | clip) fields (or ?name=&kind=) before the "file"
        // part; the file is streamed, never buffered whole.
        models.MapPost("/upload", UploadAsync);
    }

    private static IResult UnknownModel(ModelAdminService service, string id) =>
        Results.Problem($"unknown model '{id}'; known ids: {string.Join(", ", service.Registry.Models.Select(m => m.Id))}", statusCode: StatusCodes.Status404NotFound);

    private static async Task<IResult> UploadAsync(HttpContext http, ModelUploadService uploads)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = uploads.MaxBytes + 1024 * 1024;
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
            return Bad("send multipart/form-data with a \"name\" field and a \"file\" part");

        string? name = http.Request.Query["name"].FirstOrDefault();
        string? kindText = http.Request.Query["kind"].FirstOrDefault();
        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = null };
        try
        {
            for (var section = await reader.ReadNextSectionAsync(http.RequestAborted); section is not null; section = await reader.ReadNextSectionAsync(http.RequestAborted))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                string field = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (string.IsNullOrWhiteSpace(name))
                        return Bad("the \"name\" field must come before the file part (or pass ?name=)");
                    if (!Enum.TryParse<ModelUploadKind>(string.IsNullOrWhiteSpace(kindText) ? "generator" : kindText, ignoreCase: true, out var kind)
                        || !Enum.IsDefined(kind))
                        return Bad($"kind '{kindText}' is not known; use generator or clip");
                    string fileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value
                        ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "upload");
                    var result = await uploads.UploadAsync(name, fileName, section.Body, http.RequestAborted, kind);
                    return Results.Created(result.PreviewUrl, result);
                }
                if (field is "name" or "kind")
                {
                    using var text = new StreamReader(section.Body);
                    var buffer = new char[200];
                    int n = await text.ReadBlockAsync(buffer, http.RequestAborted);
                    if (field == "name") name = new string(buffer, 0, n).Trim();
                    else kindText = new string(buffer, 0, n).Trim();
                }
            }
        }
        catch (ModelUploadException e)
        {
            return Bad(e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem($"the upload is larger than the limit of {uploads.MaxBytes} bytes (Models:MaxUploadBytes)", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        return Bad("no \"file\" part in the upload");
    }

    private static IResult Bad(string message) => Results.Problem(message, statusCode: StatusCodes.Status400BadRequest);
}
