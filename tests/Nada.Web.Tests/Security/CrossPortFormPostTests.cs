using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Nada.Web.Data;
using Nada.Web.Tests.Browser;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>
/// The attack as a browser makes it: a signed-in user (and a signed-in admin) in Debian's Chromium opens a page served
/// on another loopback port of the same host, which posts a form (or sends a fetch) to each state-changing endpoint of
/// the app. SameSite=Lax sends the cookie (same site); each post must be refused and change nothing.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class CrossPortFormPostTests(SecurityApp fixture) : IAsyncLifetime
{
    private readonly NadaAppFactory _app = fixture.App;
    private IPlaywright? _playwright;
    private WebApplication? _attacker;
    private Uri _attackerBase = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _attacker = builder.Build();
        _attacker.MapGet("/form", (string action, string? enctype, string? name, string? value, bool? file) =>
            Results.Content(FormPage(action, enctype ?? "application/x-www-form-urlencoded", name ?? "x", value ?? "1", file == true), "text/html"));
        _attacker.MapGet("/fetch", (string method, string url) => Results.Content(FetchPage(method, url), "text/html"));
        await _attacker.StartAsync();
        var address = _attacker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _attackerBase = new Uri(address);
        _playwright = await Playwright.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_attacker is not null) await _attacker.DisposeAsync();
        _playwright?.Dispose();
    }

    private sealed record Attack(bool Admin, string Kind, string Method, string Path, string? Enctype = null, string? Name = null, string? Value = null, bool File = false);

    [Fact]
    public async Task FormPostsFromAnotherPortOfTheSameHost_AreRefused_AndChangeNothing()
    {
        Assert.Equal(_app.BaseAddress.Host, _attackerBase.Host);
        Assert.NotEqual(_app.BaseAddress.Port, _attackerBase.Port);

        using var user = await _app.NewUserAsync("victim");
        using var admin = await _app.AdminAsync();
        var (_, unshared) = await user.DomainAsync("victim one");
        var (_, shared) = await user.DomainAsync("victim two");
        await user.ShareAsync(shared);
        var failed = await user.SubmitAsync(ApiClient.Job(iterations: 2, target: NadaAppFactory.FailText));
        await user.WaitForStatusAsync(failed, JobStatus.Failed);
        var running = await user.SubmitAsync(ApiClient.Job(iterations: 900));
        var jobsBefore = (await user.Http.GetFromJsonAsync<JsonElement>("/api/jobs")).GetArrayLength();
        var modelBefore = await ModelStateAsync(admin);

        const string json = "text/plain";
        // A text/plain form can carry a JSON-looking body: <input name='{"a":"' value='"}'> sends {"a":"="}.
        var attacks = new List<Attack>
        {
            new(false, "form", "POST", $"/api/domains/{unshared}/share"),
            new(false, "fetch", "DELETE", $"/api/domains/{shared}/share"),
            new(false, "form", "POST", $"/api/jobs/{running}/cancel"),
            new(false, "form", "POST", "/api/jobs", json, "{\"generator\":\"fake-ffhq-256.pkl\",\"clipModels\":[\"fake-clip-vit-b32.pt\"],\"sourceText\":\"photo\",\"targetText\":\"x\",\"iterations\":5,\"y\":\"", "\"}"),
            new(false, "form", "POST", $"/api/domains/{unshared}/samples", json, "{\"seeds\":[1],\"y\":\"", "\"}"),
            new(true, "form", "POST", $"/api/admin/jobs/{failed}/requeue"),
            new(true, "fetch", "DELETE", $"/api/admin/jobs/{failed}"),
            new(true, "form", "POST", $"/api/admin/jobs/{running}/priority", json, "{\"priority\":9,\"y\":\"", "\"}"),
            new(true, "fetch", "PUT", "/api/admin/quotas/User"),
            new(true, "form", "POST", "/api/admin/models/sg2-ffhq-1024/download"),
            new(true, "form", "POST", "/api/admin/models/sg2-ffhq-1024/verify"),
            new(true, "form", "POST", "/api/admin/models/upload", "multipart/form-data", "name", "csrf-upload", File: true),
            new(true, "form", "POST", "/api/admin/users/nobody/approve"),
            new(false, "form", "POST", "/account/logout", Name: "returnUrl", Value: "/"),
            new(false, "form", "POST", "/api/auth/logout"),
        };

        await using var browser = await BrowserSupport.LaunchChromiumAsync(_playwright!);
        var userPage = await SignedInPageAsync(browser, user.Email!, "User-pass-1");
        var adminPage = await SignedInPageAsync(browser, NadaAppFactory.AdminEmail, NadaAppFactory.AdminPassword);

        var problems = new List<string>();
        foreach (var a in attacks)
        {
            var page = a.Admin ? adminPage : userPage;
            var target = new Uri(_app.BaseAddress, a.Path).ToString();
            if (a.Kind == "form")
            {
                var query = $"/form?action={Uri.EscapeDataString(target)}&enctype={Uri.EscapeDataString(a.Enctype ?? "application/x-www-form-urlencoded")}" +
                            $"&name={Uri.EscapeDataString(a.Name ?? "x")}&value={Uri.EscapeDataString(a.Value ?? "1")}&file={a.File}";
                var response = await page.RunAndWaitForResponseAsync(
                    () => page.GotoAsync(new Uri(_attackerBase, query).ToString()),
                    r => r.Url == target && r.Request.Method == "POST");
                if (response.Status != 403) problems.Add($"{a.Method} {a.Path}: {response.Status} {Shorten(await BodyAsync(response))}");
            }
            else
            {
                await page.GotoAsync(new Uri(_attackerBase, $"/fetch?method={a.Method}&url={Uri.EscapeDataString(target)}").ToString());
                await page.WaitForFunctionAsync("() => document.title === 'done'");
            }
        }

        // Nothing changed.
        if (await SecurityApp.SharedAsync(user, unshared)) problems.Add("the unshared domain became shared");
        if (!await SecurityApp.SharedAsync(user, shared)) problems.Add("the shared domain's link was revoked");
        if ((await user.GetJobAsync(failed))?.Status != JobStatus.Failed) problems.Add("the failed job was re-queued or deleted");
        if ((await user.GetJobAsync(running))?.Status is not (JobStatus.Queued or JobStatus.Running)) problems.Add("the running job was cancelled");
        if ((await user.Http.GetFromJsonAsync<JsonElement>("/api/jobs")).GetArrayLength() != jobsBefore) problems.Add("a job was submitted");
        if (await ModelStateAsync(admin) != modelBefore) problems.Add("a model download was started");
        foreach (var (page, who) in new[] { (userPage, "user"), (adminPage, "admin") })
        {
            var me = await page.Context.APIRequest.GetAsync(new Uri(_app.BaseAddress, "/api/auth/me").ToString());
            if (me.Status != 200) problems.Add($"the {who} was signed out ({me.Status})");
        }
        Assert.True(problems.Count == 0, "accepted from another port:\n" + string.Join("\n", problems));
        await user.Http.PostAsync($"/api/jobs/{running}/cancel", null);
    }

    [Fact]
    public async Task PagesRunUnderTheContentSecurityPolicy_WithoutViolations()
    {
        await using var browser = await BrowserSupport.LaunchChromiumAsync(_playwright!);
        var page = await SignedInPageAsync(browser, NadaAppFactory.AdminEmail, NadaAppFactory.AdminPassword);
        var violations = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy") || m.Text.Contains("Refused to")) violations.Add($"{page.Url}: {m.Text}"); };
        page.PageError += (_, e) => violations.Add($"{page.Url}: {e}");
        foreach (var path in new[] { "/", "/submit", "/edit", "/jobs", "/gallery", "/admin/queue", "/admin/models", "/admin/users" })
        {
            await page.GotoAsync(path);
            await BrowserSupport.WaitForInteractiveAsync(page);
        }
        // The interactive pages work: the submit form validates on the server through the circuit.
        await page.GotoAsync("/submit");
        await BrowserSupport.WaitForInteractiveAsync(page);
        await BrowserSupport.Input(page, "#target-text").FillAsync("photo");
        await page.ClickAsync("#submit-job");
        await Assertions.Expect(page.GetByText("Source and target text are the same to CLIP", new() { Exact = false })).ToBeVisibleAsync();
        // The Hangfire dashboard under the same policy.
        var dashboard = await page.GotoAsync("/hangfire");
        Assert.Equal(200, dashboard?.Status);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    private async Task<IPage> SignedInPageAsync(IBrowser browser, string email, string password)
    {
        var page = await BrowserSupport.NewPageAsync(browser, _app.BaseAddress, 20_000);
        await page.GotoAsync("/account/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await BrowserSupport.WaitForAddressAsync(page, new System.Text.RegularExpressions.Regex("^(?!.*/account/login)"));
        return page;
    }

    private static async Task<string> ModelStateAsync(ApiClient admin) =>
        (await admin.Http.GetFromJsonAsync<JsonElement>("/api/admin/models/sg2-ffhq-1024")).GetProperty("state").ToString();

    private static async Task<string> BodyAsync(IResponse r)
    {
        try { return await r.TextAsync(); }
        catch (PlaywrightException) { return ""; }
    }

    private static string Shorten(string s) => s.Length > 200 ? s[..200] + "..." : s;

    private static string FormPage(string action, string enctype, string name, string value, bool file)
    {
        var h = HtmlEncoder.Default;
        var fileInput = file ? "<input type=\"file\" name=\"file\" id=\"file\">" : "";
        var fill = file
            ? "const dt = new DataTransfer(); dt.items.add(new File(['not a generator'], 'evil.pt')); document.getElementById('file').files = dt.files;"
            : "";
        return $"""
            <!DOCTYPE html><html><body>
            <form id="f" method="post" action="{h.Encode(action)}" enctype="{h.Encode(enctype)}">
              <input type="hidden" name="{h.Encode(name)}" value="{h.Encode(value)}">{fileInput}
            </form>
            <script>{fill} document.getElementById('f').submit();</script>
            </body></html>
            """;
    }

    private static string FetchPage(string method, string url) => $$"""
        <!DOCTYPE html><html><head><title>sending</title></head><body><script>
        fetch({{JsonSerializer.Serialize(url)}}, { method: {{JsonSerializer.Serialize(method)}}, credentials: 'include' })
          .catch(() => {}).finally(() => { document.title = 'done'; });
        </script></body></html>
        """;
}
