using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Nada.Web.Data;
using Nada.Web.Security;

namespace Nada.Web.Api;

/// <summary>Credentials sent to the auth API; the invitation code only when sign-up asks for one.</summary>
public sealed record Credentials(string Email, string Password, string? InvitationCode = null);

/// <summary>An account waiting for an admin's approval.</summary>
public sealed record PendingAccountDto(string Id, string Email);

/// <summary>JSON sign-up, sign-in and sign-out for scripts and tests (cookie authentication); admins approve accounts.</summary>
public static class AuthEndpoints
{
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").DisableAntiforgery();
        // The same answer whether or not the email already had an account (see AccountService.RegisterAsync).
        auth.MapPost("/register", async ([FromBody] Credentials c, AccountService accounts, HttpContext http) =>
        {
            var r = await accounts.RegisterAsync(c.Email, c.Password, ClientAddress.Of(http), c.InvitationCode);
            if (r.Accepted) return Results.Ok(new { message = r.Message, awaitsApproval = r.AwaitsApproval });
            return r.TooMany
                ? Results.Problem(r.Errors[0], statusCode: StatusCodes.Status429TooManyRequests)
                : Results.ValidationProblem(new Dictionary<string, string[]> { [""] = r.Errors.ToArray() });
        });
        auth.MapPost("/login", async ([FromBody] Credentials c, SignInService signIn, HttpContext http) =>
        {
            var r = await signIn.PasswordSignInAsync(http, c.Email, c.Password, persistent: false);
            if (r.RetryAfter is { } wait) http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString();
            return r.Status switch
            {
                SignInStatus.SignedIn => Results.Ok(),
                SignInStatus.WrongCredentials => Results.Problem(r.Message, statusCode: StatusCodes.Status401Unauthorized),
                SignInStatus.AwaitingApproval => Results.Problem(r.Message, statusCode: StatusCodes.Status403Forbidden),
                _ => Results.Problem(r.Message, statusCode: StatusCodes.Status429TooManyRequests),
            };
        });
        // Signs out everywhere: every saved copy of this account's cookies stops working.
        auth.MapPost("/logout", async (SignInService signIn, HttpContext http) =>
        {
            await signIn.SignOutAsync(http.User);
            return Results.Ok();
        });
        // The sign-out button of the pages: a form post carrying the antiforgery token.
        app.MapPost("/account/logout", async ([FromForm] string? returnUrl, SignInService signIn, HttpContext http) =>
        {
            await signIn.SignOutAsync(http.User);
            return Results.LocalRedirect(returnUrl is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//") ? u : "/");
        });
        auth.MapGet("/me", (HttpContext http) => http.User.UserId() is { } id
            ? Results.Ok(new { id, email = http.User.Identity!.Name, admin = http.User.IsAdmin() })
            : Results.Unauthorized());
        // For uploads (multipart/form-data) from scripts: send the token in the X-CSRF-TOKEN header, with the cookie it sets.
        auth.MapGet("/antiforgery", (IAntiforgery antiforgery, HttpContext http) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            return Results.Ok(new { token = tokens.RequestToken, header = CsrfGuard.TokenHeader });
        });

        var users = app.MapGroup("/api/admin/users").RequireAuthorization(p => p.RequireRole(Roles.Admin)).DisableAntiforgery();
        users.MapGet("/pending", async (AccountService accounts) =>
            (await accounts.PendingAsync()).Select(u => new PendingAccountDto(u.Id, u.Email ?? "")));
        users.MapPost("/{id}/approve", async (string id, AccountService accounts) =>
            await accounts.ApproveAsync(id) ? Results.NoContent() : Results.NotFound());
    }
}
