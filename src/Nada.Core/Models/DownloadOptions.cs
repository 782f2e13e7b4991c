namespace Nada.Core.Models;

/// <summary>Retry, timeout and reporting settings of the model downloader (tests shrink the delays).</summary>
public sealed record DownloadOptions
{
    /// <summary>Attempts per URL for transient failures (refused connection, 5xx, transfer cut short).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the second attempt; doubled (times <see cref="BackoffFactor"/>) after each failure.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the back-off delay.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Back-off multiplier.</summary>
    public double BackoffFactor { get; init; } = 2.0;

    /// <summary>An attempt fails when no response headers or no body bytes arrive for this long.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Minimum time between two <see cref="DownloadPhase.Downloading"/> reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long to wait for another process that holds the download lock of the same file.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How often to retry taking a lock held by another process.</summary>
    public TimeSpan LockPollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Copy buffer size in bytes.</summary>
    public int BufferSize { get; init; } = 1 << 16;

    /// <summary>Delay before attempt <paramref name="attempt"/> (2, 3, ...).</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        double factor = Math.Pow(BackoffFactor, Math.Max(0, attempt - 2));
        double ms = Math.Min(InitialRetryDelay.TotalMilliseconds * factor, MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
