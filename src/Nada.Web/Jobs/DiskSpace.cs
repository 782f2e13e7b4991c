using Microsoft.Extensions.Options;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>Free space of the data folder's disk, and how a full disk shows in exceptions.</summary>
public static class DiskSpace
{
    /// <summary>ENOSPC on Linux, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, SQLITE_FULL from the database.</summary>
    public static bool IsDiskFull(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException io && (io.HResult & 0xFFFF) is 28 or 112 or 39) return true;
            if (x is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 }) return true;
            if (x.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                || x.Message.Contains("database or disk is full", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Free bytes on the disk holding <paramref name="folder"/>, or null when unknown.</summary>
    public static long? FreeBytes(string folder)
    {
        try { return new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>
/// The free-space reserve of the data folder (<c>Limits:MinFreeDiskBytes</c>): below it no job starts and no job is
/// accepted, so a full disk cannot lose work that is already safe; above it again, everything resumes by itself.
/// </summary>
public sealed class DiskReserve(DataPaths paths, IOptions<LimitsOptions> limits)
{
    /// <summary>Free bytes of the data folder's disk (null when unknown).</summary>
    public long? Free => DiskSpace.FreeBytes(paths.DataDir);

    /// <summary>The reserve.</summary>
    public long Reserve => limits.Value.MinFreeDiskBytes;

    /// <summary>True when the free space is known and below the reserve.</summary>
    public bool IsLow => Free is { } f && f < Reserve;

    /// <summary>What users are told while the disk is low, or null.</summary>
    public string? Refusal => IsLow
        ? $"The server's disk is nearly full ({Mib(Free!.Value)} MiB free, {Mib(Reserve)} MiB are kept in reserve): no job starts or is accepted until an admin frees space. Queued jobs wait and start by themselves then."
        : null;

    private static long Mib(long bytes) => bytes / (1 << 20);
}
