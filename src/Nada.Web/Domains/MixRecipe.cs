namespace Nada.Web.Domains;

/// <summary>One gallery domain in a mix with its strength.</summary>
/// <param name="DomainId">The gallery domain.</param>
/// <param name="Alpha">Its strength (0 = absent, 1 = as trained).</param>
public sealed record MixPart(Guid DomainId, float Alpha);

/// <summary>How a saved mix was made: its parts, as the mix page had them.</summary>
/// <param name="Parts">The gallery domains and strengths.</param>
/// <param name="Titles">Their titles then ("photo -> sketch"), same order, for when a part is deleted later.</param>
public sealed record MixRecipe(IReadOnlyList<MixPart> Parts, IReadOnlyList<string> Titles);
