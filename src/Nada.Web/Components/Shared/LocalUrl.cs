namespace Nada.Web.Components.Shared;

/// <summary>Keeps redirects on this site (no open redirects through returnUrl).</summary>
public static class LocalUrl
{
    public static string OrHome(string? url) =>
        url is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//") && !u.StartsWith("/\\") ? u : "/";
}
