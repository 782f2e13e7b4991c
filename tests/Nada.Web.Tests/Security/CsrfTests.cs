using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>
/// Cross-site request forgery at the HTTP level: every state-changing endpoint refuses a request that a page on
/// another port of the same host would make (its Origin, its Sec-Fetch-Site), even with a JSON body; /api refuses
/// what a form can send (no JSON, no token). The real browser version is <see cref="CrossPortFormPostTests"/>.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class CsrfTests(SecurityApp fixture)
{
    private const string Foreign = "http://127.0.0.1:8099";
    private readonly NadaAppFactory _app = fixture.App;

    /// <summary>Every state-changing endpoint, with a body it accepts, and who may call it.</summary>
    private static IEnumerable<(HttpMethod Method, string Url, string Json, bool Admin)> Endpoints(Guid domain, Guid job, Guid failedJob) =>
    [
        (HttpMethod.Post, $"/api/domains/{domain}/share", "{}", false),
        (HttpMethod.Delete, $"/api/domains/{domain}/share", "{}", false),
        (HttpMethod.Post, $"/api/domains/{domain}/samples", "{\"seeds\":[1]}", false),
        (HttpMethod.Post, $"/api/jobs/{job}/cancel", "{}", false),
        (HttpMethod.Post, "/api/jobs", JsonSerializer.Serialize(ApiClient.Job(), ApiClient.Json), false),
        (HttpMethod.Post, "/api/edits", "{\"kind\":\"latent-edit\",\"generator\":\"model:fake-ffhq-256.pkl\",\"text\":\"smile\"}", false),
        (HttpMethod.Post, "/api/auth/logout", "{}", false),
        (HttpMethod.Post, "/api/auth/login", $"{{\"email\":\"{NadaAppFactory.AdminEmail}\",\"password\":\"{NadaAppFactory.AdminPassword}\"}}", false),
        (HttpMethod.Post, "/api/auth/register", "{\"email\":\"csrf-new@nada.test\",\"password\":\"Csrf-pass-7x\"}", false),
        (HttpMethod.Post, $"/api/admin/jobs/{failedJob}/requeue", "{}", true),
        (HttpMethod.Delete, $"/api/admin/jobs/{failedJob}", "{}", true),
        (HttpMethod.Post, $"/api/admin/jobs/{job}/priority", "{\"priority\":5}", true),
        (HttpMethod.Put, "/api/admin/quotas/User", "{\"maxQueued\":1}", true),
        (HttpMethod.Post, "/api/admin/models/sg2-ffhq-1024/download", "{}", true),
        (HttpMethod.Post, "/api/admin/models/sg2-ffhq-1024/verify", "{}", true),
        (HttpMethod.Post, "/api/admin/users/nobody/approve", "{}", true),
    ];

    [Fact]
    public async Task EveryStateChangingEndpoint_RefusesAPageOfAnotherOrigin()
    {
        using var admin = await _app.AdminAsync();
        using var user = await _app.NewUserAsync("csrf");
        var (_, domain) = await user.DomainAsync();
        var failed = await user.SubmitAsync(ApiClient.Job(iterations: 2, target: NadaAppFactory.FailText));
        await user.WaitForStatusAsync(failed, JobStatus.Failed);
        var job = await user.SubmitAsync(ApiClient.Job(iterations: 900));

        var accepted = new List<string>();
        foreach (var (method, url, json, asAdmin) in Endpoints(domain, job, failed))
        foreach (var (origin, site) in new[] { (Foreign, "same-site"), (Foreign, (string?)null), ((string?)null, "cross-site"), ("null", null) })
        {
            var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            if (origin is not null) request.Headers.Add("Origin", origin);
            if (site is not null) request.Headers.Add("Sec-Fetch-Site", site);
            var r = await (asAdmin ? admin : user).Http.SendAsync(request);
            if (r.StatusCode != HttpStatusCode.Forbidden || !(await r.Content.ReadAsStringAsync()).Contains("only from pages of this app"))
                accepted.Add($"{method} {url} (Origin {origin ?? "-"}, Sec-Fetch-Site {site ?? "-"}): {(int)r.StatusCode}");
        }
        Assert.True(accepted.Count == 0, "accepted from another origin:\n" + string.Join("\n", accepted));

        // Nothing happened: not shared, still running, still failed, still signed in.
        Assert.False(await SecurityApp.SharedAsync(user, domain));
        Assert.Equal(JobStatus.Failed, (await user.GetJobAsync(failed))!.Status);
        Assert.Contains((await user.GetJobAsync(job))!.Status, new[] { JobStatus.Queued, JobStatus.Running });
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await user.Http.PostAsync($"/api/jobs/{job}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task SameOriginBrowserRequests_StillWork()
    {
        using var user = await _app.NewUserAsync("same-origin");
        var (_, domain) = await user.DomainAsync();
        var own = _app.BaseAddress.GetLeftPart(UriPartial.Authority);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/domains/{domain}/share") { Content = JsonContent.Create(new { }) };
        request.Headers.Add("Origin", own);
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.OK, (await user.Http.SendAsync(request)).StatusCode);
        Assert.True(await SecurityApp.SharedAsync(user, domain));
    }

    [Fact]
    public async Task ApiRefusesWhatAFormCanSend_NoJsonAndNoToken()
    {
        using var user = await _app.NewUserAsync("formish");
        var (_, domain) = await user.DomainAsync();
        var job = await user.SubmitAsync(ApiClient.Job(iterations: 900));
        // A plain client with the user's cookies, without the ApiClient's well-behaved handler, and no Origin at all.
        using var raw = new HttpClient(new HttpClientHandler { CookieContainer = user.Cookies }) { BaseAddress = _app.BaseAddress };

        var forms = new Func<HttpContent?>[]
        {
            () => null,
            () => new FormUrlEncodedContent([new("x", "1")]),
            () => new StringContent("{\"x\":\"=\"}", Encoding.UTF8, "text/plain"),
            () => new MultipartFormDataContent { { new StringContent("x"), "x" } },
        };
        foreach (var form in forms)
        {
            var share = await raw.PostAsync($"/api/domains/{domain}/share", form());
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, share.StatusCode);
            Assert.Contains("needs a JSON body", await share.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await raw.PostAsync($"/api/jobs/{job}/cancel", form())).StatusCode);
        }
        Assert.False(await SecurityApp.SharedAsync(user, domain));
        Assert.Contains((await user.GetJobAsync(job))!.Status, new[] { JobStatus.Queued, JobStatus.Running });

        // A wrong token does not open the door either; the token of GET /api/auth/antiforgery does.
        var wrong = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{job}/cancel") { Content = new FormUrlEncodedContent([new("x", "1")]) };
        wrong.Headers.Add("X-CSRF-TOKEN", "forged");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await raw.SendAsync(wrong)).StatusCode);
        var token = await raw.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery");
        var right = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{job}/cancel") { Content = new FormUrlEncodedContent([new("x", "1")]) };
        right.Headers.Add(token.GetProperty("header").GetString()!, token.GetProperty("token").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await raw.SendAsync(right)).StatusCode);
    }

    [Fact]
    public async Task HubWebSocket_FromAnotherOrigin_IsRefused()
    {
        using var user = await _app.NewUserAsync("ws");
        var hub = new UriBuilder(_app.BaseAddress) { Scheme = "ws", Path = "/hubs/progress" }.Uri;

        using var foreign = new ClientWebSocket();
        foreign.Options.Cookies = user.Cookies;
        foreign.Options.SetRequestHeader("Origin", Foreign);
        foreign.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(hub, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);

        using var own = new ClientWebSocket();
        own.Options.Cookies = user.Cookies;
        own.Options.SetRequestHeader("Origin", _app.BaseAddress.GetLeftPart(UriPartial.Authority));
        await own.ConnectAsync(hub, CancellationToken.None);
        Assert.Equal(WebSocketState.Open, own.State);
    }
}
