namespace Nada.Web.Domains;

/// <summary>One gallery domain in a mix with its strength.</summary>
/// <param name="DomainId">The gallery domain.</param>
/// <param name="Alpha">Its strength (0 = absent, 1 = as trained).</param>
public sealed record MixPart(Guid DomainId, float Alpha);

/// <summary>How a saved mix was made: its parts, as the mix page had them.</summary>
/// <param name="Parts">The gallery domains and strengths.</param>
/// <param name="Titles">Their titles then ("photo -> sketch"), same order, for when a part is deleted later.</param>
public sealed record MixRecipe(IReadOnlyList<MixPart> Parts, IReadOnlyList<string> Titles);

/// <summary>The mix parts of a query string: <c>ID:ALPHA</c> each (invariant culture).</summary>
public static class MixParts
{
    /// <summary>The parts, or null when one is malformed.</summary>
    public static List<MixPart>? Parse(IEnumerable<string> specs)
    {
        var parts = new List<MixPart>();
        foreach (var s in specs)
        {
            int colon = s.IndexOf(':');
            if (colon < 0 || !Guid.TryParse(s[..colon], out var id)
                || !float.TryParse(s[(colon + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var alpha))
                return null;
            parts.Add(new MixPart(id, alpha));
        }
        return parts;
    }

    /// <summary>The query string of parts: <c>d=ID:ALPHA&amp;d=...</c>.</summary>
    public static string Query(IEnumerable<MixPart> parts) =>
        string.Join("&", parts.Select(p => $"d={p.DomainId}:{p.Alpha.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"));
}
