namespace Nada.Web.Data;

/// <summary>
/// A domain shared with a signed-in user: they opened its share link (<see cref="ShareToken"/>). It is listed under
/// "Shared with me" while that link is the domain's live one; revoking the link ends it (a new link is a new token),
/// deleting the domain removes the row.
/// </summary>
public sealed class SharedDomainRecord
{
    public required string UserId { get; set; }
    public Guid DomainId { get; set; }
    public DomainRecord? Domain { get; set; }

    /// <summary>The share token the user opened.</summary>
    public required string ShareToken { get; set; }

    /// <summary>When the user last opened the link.</summary>
    public DateTimeOffset OpenedAt { get; set; }
}
