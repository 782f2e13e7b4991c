namespace Nada.Web.Jobs;

/// <summary>Free space of the data folder's disk, and how a full disk shows in exceptions.</summary>
public static class DiskSpace
{
    /// <summary>ENOSPC on Linux, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException io && (io.HResult & 0xFFFF) is 28 or 112 or 39) return true;
            if (x.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)) return true;
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
