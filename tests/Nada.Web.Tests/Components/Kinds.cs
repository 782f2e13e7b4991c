using System.Security.Claims;
using Microsoft.Extensions.Options;
using Nada.Web.Engine;
using Nada.Web.Images;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;

namespace Nada.Web.Tests.Components;

/// <summary>
/// Job kinds for checking submissions without a running app: only their checks run (catalog, the engine's rules, the
/// box's caps, upload sanitising); what they need only to run a job is left out.
/// </summary>
internal static class Kinds
{
    /// <summary>A signed-in user.</summary>
    public static readonly ClaimsPrincipal User = new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "u1")], "test"));

    private static (SubmissionRules Rules, StyleImageSanitizer Sanitizer) Parts(IModelCatalog catalog)
    {
        var limits = Microsoft.Extensions.Options.Options.Create(new LimitsOptions());
        return (new SubmissionRules(catalog, limits), new StyleImageSanitizer(limits));
    }

    /// <summary>The adaptation kind's checks.</summary>
    public static AdaptationKind Adaptation(IModelCatalog catalog)
    {
        var (rules, sanitizer) = Parts(catalog);
        return new AdaptationKind(rules, sanitizer, null!, null!, null!, null!);
    }

    /// <summary>The latent-edit kind's checks (starts from a seed or a photo: a latent start looks up jobs).</summary>
    public static LatentEditKind LatentEdit(IModelCatalog catalog)
    {
        var (rules, sanitizer) = Parts(catalog);
        return new LatentEditKind(rules, sanitizer, null!, null!, null!, null!, null!);
    }
}
