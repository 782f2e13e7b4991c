using System.Buffers.Text;
using System.Security.Cryptography;

namespace Nada.Web.Security;

/// <summary>Unguessable share tokens: 32 random bytes, base64url.</summary>
public static class ShareTokens
{
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether a string has the shape of a token (cheap check before any lookup).</summary>
    public static bool LooksValid(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
