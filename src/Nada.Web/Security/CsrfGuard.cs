using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Nada.Web.Security;

/// <summary>
/// Cross-site request forgery guard, before any endpoint runs. Every state-changing request (POST, PUT, PATCH,
/// DELETE) and every WebSocket upgrade must come from the app's own origin: a browser's <c>Sec-Fetch-Site</c>, where
/// sent, must be <c>same-origin</c>, and an <c>Origin</c> header, where sent, must be the app's own (or one of
/// <see cref="SecurityOptions.AllowedOrigins"/>). SameSite=Lax cookies do not cover this: another port of the same
/// host is the same site. Under <c>/api</c> a state-changing request must also carry a JSON body
/// (<c>Content-Type: application/json</c>, which a form cannot send and a foreign page cannot send without a CORS
/// preflight that the app never grants) or, for uploads, the antiforgery token in the <c>X-CSRF-TOKEN</c> header
/// (from <c>GET /api/auth/antiforgery</c>). Clients that are not browsers send neither Origin nor Sec-Fetch-Site.
/// </summary>
public sealed class CsrfGuard(RequestDelegate next, IOptions<SecurityOptions> options, IAntiforgery antiforgery, ILogger<CsrfGuard> logger)
{
    public const string TokenHeader = "X-CSRF-TOKEN";

    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        bool unsafeMethod = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
                              || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method));
        // WebSocket upgrades (hubs, Blazor circuits) carry the cookie too; SignalR's own WebSocket middleware comes later.
        bool upgrade = request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        if (!unsafeMethod && !upgrade)
        {
            await next(http);
            return;
        }
        if (CrossOrigin(request) is { } why)
        {
            logger.LogWarning("Refused a cross-origin {Method} {Path}: {Why}", request.Method, request.Path, why);
            await Refuse(http, StatusCodes.Status403Forbidden, "Cross-origin request refused",
                $"{why}. State-changing requests are accepted only from pages of this app.");
            return;
        }
        if (unsafeMethod && request.Path.StartsWithSegments("/api") && !await JsonOrTokenAsync(http))
        {
            await Refuse(http, StatusCodes.Status415UnsupportedMediaType, "JSON body or antiforgery token needed",
                $"{request.Method} {request.Path} needs a JSON body (Content-Type: application/json; send {{}} when there is nothing to say) " +
                $"or, for uploads, the token of GET /api/auth/antiforgery in the {TokenHeader} header.");
            return;
        }
        await next(http);
    }

    /// <summary>Why the request comes from another origin, or null when it does not (or cannot tell: not a browser).</summary>
    private string? CrossOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && !site.Equals("same-origin", StringComparison.OrdinalIgnoreCase))
            return $"the browser says it comes from a {site} page (Sec-Fetch-Site)";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        if (Normalise(origin) is { } o && (o == Normalise($"{request.Scheme}://{request.Host}")
                                          || options.Value.AllowedOrigins.Any(a => Normalise(a) == o)))
            return null;
        return $"its Origin {origin} is not this app's";
    }

    private async Task<bool> JsonOrTokenAsync(HttpContext http)
    {
        if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type)
            && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || type.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true))
            return true;
        // Only the header: the form of an upload is never read (nor buffered) to find a token.
        if (!http.Request.Headers.ContainsKey(TokenHeader)) return false;
        try
        {
            await antiforgery.ValidateRequestAsync(http);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static string? Normalise(string origin) =>
        Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? $"{u.Scheme}://{u.IdnHost.ToLowerInvariant()}:{u.Port}"
            : null;

    private static Task Refuse(HttpContext http, int status, string title, string detail) =>
        Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(http);
}
