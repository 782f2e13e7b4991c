using Nada.Core.Models;

namespace Nada.Web.ModelAdmin;

/// <summary>What the app is doing with a registry model right now.</summary>
public enum ModelActivityKind
{
    /// <summary>A download job is waiting on the "downloads" queue.</summary>
    Queued,
    /// <summary>A download runs (connecting, receiving, retrying or verifying).</summary>
    Downloading,
    /// <summary>The last download finished with the file present and verified.</summary>
    Completed,
    /// <summary>The last download failed; <see cref="ModelActivity.Error"/> says why.</summary>
    Failed,
}

/// <summary>The latest download state of one model, as pushed to the admin page.</summary>
/// <param name="ModelId">Registry id.</param>
/// <param name="Kind">Queued, downloading, completed or failed.</param>
/// <param name="Progress">The latest downloader report, if any.</param>
/// <param name="Error">The downloader's message when the download failed.</param>
/// <param name="At">When this state was reached.</param>
public sealed record ModelActivity(string ModelId, ModelActivityKind Kind, DownloadProgress? Progress, string? Error, DateTimeOffset At)
{
    /// <summary>True while a download is queued or running.</summary>
    public bool IsBusy => Kind is ModelActivityKind.Queued or ModelActivityKind.Downloading;
}
