using System.Net;
using System.Text.RegularExpressions;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>Security headers on every kind of response: pages, API, files, health, errors and the Hangfire dashboard.</summary>
[Collection(SecurityCollection.Name)]
public sealed class HeadersTests(SecurityApp fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task EveryResponse_HasNosniff_FrameProtection_AndAContentSecurityPolicy()
    {
        using var admin = await _app.AdminAsync();
        using var anonymous = _app.NewClient();
        var missing = new List<string>();
        foreach (var (client, path) in new[]
                 {
                     (anonymous, "/"), (anonymous, "/account/login"), (anonymous, "/api/auth/me"), (anonymous, "/health/live"),
                     (anonymous, "/no-such-page"), (anonymous, "/app.css"), (anonymous, "/hangfire"),
                     (admin, "/hangfire"), (admin, "/hangfire/jobs/enqueued"), (admin, "/api/jobs"), (admin, "/admin/queue"),
                 })
        {
            var r = await client.Http.GetAsync(path);
            string Header(string name) => r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : "";
            if (Header("X-Content-Type-Options") != "nosniff") missing.Add($"{path}: X-Content-Type-Options");
            if (Header("X-Frame-Options") != "DENY") missing.Add($"{path}: X-Frame-Options");
            var csp = Header("Content-Security-Policy");
            if (!csp.Contains("frame-ancestors 'none'") || !csp.Contains("default-src 'self'") || !csp.Contains("object-src 'none'"))
                missing.Add($"{path}: Content-Security-Policy '{csp}'");
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public async Task ThePagesInlineImportMap_CarriesThePolicysNonce()
    {
        using var anonymous = _app.NewClient();
        var r = await anonymous.Http.GetAsync("/");
        var nonce = Regex.Match(string.Join(",", r.Headers.GetValues("Content-Security-Policy")), "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        // Razor HTML-encodes the attribute: a nonce with "+" is written "&#x2B;".
        var html = System.Net.WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());
        Assert.Matches($"<script[^>]*type=\"importmap\"[^>]*nonce=\"{Regex.Escape(nonce)}\"|<script[^>]*nonce=\"{Regex.Escape(nonce)}\"[^>]*type=\"importmap\"", html);
        // Another request, another nonce.
        var again = await anonymous.Http.GetAsync("/");
        Assert.DoesNotContain($"'nonce-{nonce}'", string.Join(",", again.Headers.GetValues("Content-Security-Policy")));
    }
}
