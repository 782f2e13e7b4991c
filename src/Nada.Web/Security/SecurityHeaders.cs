using System.Security.Cryptography;

namespace Nada.Web.Security;

/// <summary>
/// Headers on every response, /hangfire included: <c>X-Content-Type-Options: nosniff</c>, frame protection
/// (<c>X-Frame-Options: DENY</c> and CSP <c>frame-ancestors 'none'</c>), <c>Referrer-Policy: same-origin</c> (share
/// links carry their token in the address), and a Content-Security-Policy that Blazor Server and MudBlazor run under:
/// scripts only from the app (plus the import map, by a per-request nonce), no plugins, no foreign forms or frames.
/// Styles allow 'unsafe-inline' because MudBlazor sets style attributes and writes its theme as a style element.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    private const string NonceKey = "nada.csp-nonce";

    /// <summary>The nonce of this request's inline scripts (the import map), for <c>nonce="..."</c>.</summary>
    public static string Nonce(HttpContext http) => http.Items[NonceKey] as string ?? "";

    public Task InvokeAsync(HttpContext http)
    {
        // base64url (allowed by CSP's nonce grammar): no '+', '/' or '=' that HTML encoding would turn into entities.
        var nonce = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        http.Items[NonceKey] = nonce;
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            h.ContentSecurityPolicy = Policy(nonce);
            return Task.CompletedTask;
        });
        return next(http);
    }

    public static string Policy(string nonce) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob:; " +
        "font-src 'self' data:; " +
        "connect-src 'self'; " +
        "object-src 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'; " +
        "frame-ancestors 'none'";
}
