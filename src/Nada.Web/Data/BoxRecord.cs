namespace Nada.Web.Data;

/// <summary>One box of the site as it last reported itself (every few seconds): role, devices, load, disk.</summary>
public sealed class BoxRecord
{
    /// <summary>The box's name (<c>Jobs:ServerName</c>).</summary>
    public required string Name { get; set; }

    /// <summary>web, train or both.</summary>
    public required string Role { get; set; }

    /// <summary>Its devices and their load, as JSON (a list of <see cref="Cluster.BoxDevice"/>).</summary>
    public string DevicesJson { get; set; } = "[]";

    /// <summary>Free bytes of its data folder's disk, when known.</summary>
    public long? FreeDiskBytes { get; set; }

    /// <summary>When it last reported (UTC ticks on SQLite, as every time here).</summary>
    public DateTimeOffset LastSeen { get; set; }
}
