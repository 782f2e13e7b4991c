using Nada.Core.Models;

namespace Nada.Web.ModelAdmin;

/// <summary>Registry, download and upload settings of the models page (section "Models").</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>A registry JSON file that replaces the built-in list (same shape as Nada.Core's Data/models.json); empty: built-in.</summary>
    public string? RegistryFile { get; set; }

    /// <summary>Workers of the "downloads" queue (downloads running at once).</summary>
    public int DownloadWorkers { get; set; } = 2;

    /// <summary>Attempts per URL for transient download failures.</summary>
    public int DownloadMaxAttempts { get; set; } = 5;

    /// <summary>Pause before the second attempt, in seconds; doubled after each failure.</summary>
    public double DownloadRetryDelaySeconds { get; set; } = 1;

    /// <summary>Longest pause between attempts, in seconds.</summary>
    public double DownloadMaxRetryDelaySeconds { get; set; } = 30;

    /// <summary>An attempt fails when no bytes arrive for this many seconds.</summary>
    public double DownloadStallTimeoutSeconds { get; set; } = 60;

    /// <summary>Largest checkpoint an admin may upload, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>The downloader's settings from these values.</summary>
    public DownloadOptions ToDownloadOptions() => new()
    {
        MaxAttempts = Math.Max(1, DownloadMaxAttempts),
        InitialRetryDelay = TimeSpan.FromSeconds(Math.Max(0, DownloadRetryDelaySeconds)),
        MaxRetryDelay = TimeSpan.FromSeconds(Math.Max(0, DownloadMaxRetryDelaySeconds)),
        StallTimeout = TimeSpan.FromSeconds(Math.Max(1, DownloadStallTimeoutSeconds)),
    };
}
