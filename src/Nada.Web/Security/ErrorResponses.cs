using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace Nada.Web.Security;

/// <summary>
/// What an unhandled error answers (outside Development): API, hub, file and health requests, and clients that do not
/// ask for HTML, get <c>application/problem+json</c> with a trace id and no exception details; pages get the friendly
/// page at <c>/error</c> (a form post's error is shown as that page too). Runs when UseExceptionHandler re-executes
/// the request at <c>/error</c>.
/// </summary>
public sealed class ErrorResponses(RequestDelegate next)
{
    public const string Path = "/error";

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Features.Get<IExceptionHandlerPathFeature>() is not { } error || http.Request.Path != Path)
        {
            await next(http);
            return;
        }
        if (IsApi(error.Path) || !AcceptsHtml(http.Request))
        {
            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Something went wrong on the server",
                    Detail = $"The request could not be completed. The error was logged with trace id {TraceId(http)}; try again, or give that id to an administrator.",
                },
            });
            return;
        }
        // The error page is a plain GET page, also when a form post failed (a POST would be taken for a form submission).
        http.Request.Method = HttpMethods.Get;
        await next(http);
    }

    /// <summary>The id that ties a response to the log.</summary>
    public static string TraceId(HttpContext http) => Activity.Current?.Id ?? http.TraceIdentifier;

    private static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/files")
        || path.StartsWithSegments("/health") || path.StartsWithSegments("/_blazor");

    private static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
