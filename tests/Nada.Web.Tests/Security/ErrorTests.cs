using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>
/// Unhandled errors in the app as deployed (Production): the API answers problem+json without exception details,
/// pages (a form post included) answer the friendly error page. The error is made by a password hasher that fails
/// for one password.
/// </summary>
public sealed class ErrorTests : IDisposable
{
    private const string Trigger = "Explode-now-1";
    private const string Secret = "secret-stack-marker";

    private readonly NadaAppFactory _app = new(
        settings: new Dictionary<string, string> { ["environment"] = "Production" },
        services: s => s.AddScoped<IPasswordHasher<AppUser>>(sp =>
            new FailingHasher(new PasswordHasher<AppUser>(sp.GetRequiredService<IOptions<PasswordHasherOptions>>()))));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task ApiError_IsProblemJson_WithoutExceptionDetails()
    {
        using var client = _app.NewClient();
        var r = await client.Http.PostAsJsonAsync("/api/auth/login", new { email = NadaAppFactory.AdminEmail, password = Trigger });
        var body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"traceId\"", body);
        Assert.Contains("trace id", body);
        Assert.DoesNotContain(Secret, body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.DoesNotContain("   at ", body);
        // The app goes on answering.
        await client.LoginAsync(NadaAppFactory.AdminEmail, NadaAppFactory.AdminPassword);
    }

    [Fact]
    public async Task PageFormPostError_ShowsTheFriendlyErrorPage()
    {
        using var client = _app.NewClient();
        var form = await client.Http.GetStringAsync("/account/login");
        var token = Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["__RequestVerificationToken"] = token,
                ["Input.Email"] = NadaAppFactory.AdminEmail,
                ["Input.Password"] = Trigger,
            }),
        };
        post.Headers.Accept.ParseAdd("text/html");
        var r = await client.Http.SendAsync(post);
        var page = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Something went wrong", page);
        Assert.Contains("id=\"trace-id\"", page);
        Assert.DoesNotContain(Secret, page);
        Assert.DoesNotContain("InvalidOperationException", page);
    }

    [Fact]
    public async Task ErrorPage_AskedForDirectly_IsAPlainPage()
    {
        using var client = _app.NewClient();
        var r = await client.Http.GetAsync("/error");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("Something went wrong", await r.Content.ReadAsStringAsync());
    }

    /// <summary>The app's hasher, except that <see cref="Trigger"/> makes it throw.</summary>
    private sealed class FailingHasher(IPasswordHasher<AppUser> inner) : IPasswordHasher<AppUser>
    {
        public string HashPassword(AppUser user, string password) => Check(password) ?? inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(AppUser user, string hashedPassword, string providedPassword) =>
            Check(providedPassword) is null ? inner.VerifyHashedPassword(user, hashedPassword, providedPassword) : default;

        private static string? Check(string password) =>
            password == Trigger ? throw new InvalidOperationException($"a test failure with a {Secret}") : null;
    }
}
