using System.Runtime.InteropServices;

namespace Nada.Web.Hosting;

/// <summary>
/// On a shared box the app's data is the service user's alone: at start the process umask becomes 077 (files it
/// creates are 600, folders 700) and the data folder, the database and the top-level folders of an existing
/// installation are narrowed to the same modes. Other local users can no longer read password hashes, share tokens
/// or another user's photo.
/// </summary>
public static class FileModes
{
    /// <summary>Mode of data files (rw for the owner).</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Mode of data folders (rwx for the owner).</summary>
    public const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Sets the process umask to 077 (Linux and macOS; nothing elsewhere).</summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) umask(0x3F);   // 077
    }

    /// <summary>Narrows an existing data folder: the folder, its first-level folders and files, and the database files.</summary>
    public static void Narrow(string dataDir, ILogger? log = null)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) || !Directory.Exists(dataDir)) return;
        try
        {
            File.SetUnixFileMode(dataDir, PrivateFolder);
            foreach (var d in Directory.EnumerateDirectories(dataDir)) File.SetUnixFileMode(d, PrivateFolder);
            foreach (var f in Directory.EnumerateFiles(dataDir)) File.SetUnixFileMode(f, PrivateFile);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            log?.LogWarning("Could not make the data folder {DataDir} private to this user: {Message}", dataDir, e.Message);
        }
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint umask(uint mask);
}
