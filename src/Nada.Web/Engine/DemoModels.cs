namespace Nada.Web.Engine;

/// <summary>
/// The demo networks <c>scripts/run.sh</c> copies into an empty models folder (the tiny, untrained parity networks,
/// named <c>tiny-parity-*</c>): they make coloured noise, which pages say so a newcomer does not think the app broken.
/// </summary>
public static class DemoModels
{
    /// <summary>The file-name prefix run.sh gives them.</summary>
    public const string Prefix = "tiny-parity-";

    /// <summary>True for a catalog id, name or file name of a demo network.</summary>
    public static bool IsDemo(string? idOrName) =>
        idOrName is not null && Path.GetFileName(idOrName).StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>What a user should know about a demo network.</summary>
    public const string Note = "Demo network: a tiny, untrained test network that makes coloured noise, so the whole flow runs on a CPU. Real generators and CLIP models are added on the Models page (by an admin).";
}
