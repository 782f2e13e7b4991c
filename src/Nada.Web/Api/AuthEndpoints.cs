using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Nada.Web.Data;
using Nada.Web.Security;

namespace Nada.Web.Api;

/// <summary>Credentials sent to the auth API.</summary>
public sealed record Credentials(string Email, string Password);

/// <summary>JSON sign-up, sign-in and sign-out for scripts and tests (cookie authentication).</summary>
public static class AuthEndpoints
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").DisableAntiforgery();
        auth.MapPost("/register", async ([FromBody] Credentials c, AccountService accounts) =>
        {
            var errors = await accounts.RegisterAsync(c.Email, c.Password);
            return errors.Count == 0 ? Results.Ok() : Results.ValidationProblem(new Dictionary<string, string[]> { [""] = errors.ToArray() });
        });
        auth.MapPost("/login", async ([FromBody] Credentials c, SignInManager<AppUser> signIn) =>
        {
            var r = await signIn.PasswordSignInAsync(c.Email ?? "", c.Password ?? "", isPersistent: false, lockoutOnFailure: true);
            return r.Succeeded ? Results.Ok() : Results.Problem("Wrong email or password.", statusCode: StatusCodes.Status401Unauthorized);
        });
        auth.MapPost("/logout", async (SignInManager<AppUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.Ok();
        });
        // The sign-out button of the pages: a form post carrying the antiforgery token.
        app.MapPost("/account/logout", async ([FromForm] string? returnUrl, SignInManager<AppUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.LocalRedirect(returnUrl is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//") ? u : "/");
        });
        auth.MapGet("/me", (HttpContext http) => http.User.UserId() is { } id
            ? Results.Ok(new { id, email = http.User.Identity!.Name, admin = http.User.IsAdmin() })
            : Results.Unauthorized());
    }
}
