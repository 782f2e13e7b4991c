using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Nada.Web.Security;

/// <summary>
/// The client a request comes from, as the key of per-client limits: its IPv4 address, or the /64 network of an IPv6
/// address (one host usually owns a whole /64). Behind a reverse proxy this is right only when the proxy is listed in
/// Security:KnownProxies or Security:KnownNetworks (see the README).
/// </summary>
public static class ClientAddress
{
    /// <summary>The claim that carries the client address on a signed-in principal (for limits checked in a circuit).</summary>
    public const string ClaimType = "nada:client";

    public static string Of(HttpContext http) => Key(http.Connection.RemoteIpAddress);

    public static string Key(IPAddress? ip)
    {
        if (ip is null) return "unknown";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return ip.ToString();
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>The client address a principal was authenticated from (see <see cref="ClientClaimTransformation"/>), or null.</summary>
    public static string? Of(ClaimsPrincipal user) => user.FindFirst(ClaimType)?.Value;
}

/// <summary>
/// Adds the client address to the signed-in principal of each request, so limits checked later (also inside a Blazor
/// circuit, whose principal comes from its connection's request) know the client.
/// </summary>
public sealed class ClientClaimTransformation(IHttpContextAccessor accessor) : IClaimsTransformation
{
    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (accessor.HttpContext is not { } http || principal.Identity?.IsAuthenticated != true || principal.HasClaim(c => c.Type == ClientAddress.ClaimType))
            return Task.FromResult(principal);
        var copy = principal.Clone();
        ((ClaimsIdentity)copy.Identity!).AddClaim(new Claim(ClientAddress.ClaimType, ClientAddress.Of(http)));
        return Task.FromResult(copy);
    }
}
