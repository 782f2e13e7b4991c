using System.Net;
using Nada.Web.Data;

namespace Nada.Web.Hosting;

/// <summary>
/// While the database cannot be reached, a request that needs it gets 503 with a clear answer instead of an error
/// page: browsers a small page that reloads itself (it touches neither the database nor the layout), API clients
/// <c>application/problem+json</c>; both with Retry-After. Nothing is lost meanwhile: jobs keep training and record
/// their outcome when the database is back, and the site recovers without a restart.
/// </summary>
public sealed class DatabaseOutageAnswer(RequestDelegate next, ILogger<DatabaseOutageAnswer> log)
{
    /// <summary>Seconds a client is asked to wait before trying again.</summary>
    public const int RetryAfterSeconds = 15;

    public const string Title = "NadaWeb is unavailable for a moment";
    public const string Detail = "Its database cannot be reached. Nothing is lost: queued and running jobs are kept and go on when it is back. Try again in a minute.";

    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (DatabaseOutage.IsOutage(e) && !http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            log.LogWarning("The database cannot be reached ({Error}); {Method} {Path} answered 503", e.GetBaseException().Message, http.Request.Method, http.Request.Path);
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers.CacheControl = "no-store";
            if (http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
                && !http.Request.Path.StartsWithSegments("/api"))
            {
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.WriteAsync($$"""
                    <!DOCTYPE html>
                    <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{RetryAfterSeconds}}">
                    <meta name="viewport" content="width=device-width, initial-scale=1"><title>Unavailable - NadaWeb</title>
                    <style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
                    <body id="unavailable"><h1>{{WebUtility.HtmlEncode(Title)}}</h1><p>{{WebUtility.HtmlEncode(Detail)}}</p>
                    <p>This page tries again by itself every {{RetryAfterSeconds}} seconds.</p></body></html>
                    """);
                return;
            }
            await Results.Problem(title: Title, detail: Detail, statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(http);
        }
    }
}
