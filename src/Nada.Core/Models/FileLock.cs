namespace Nada.Core.Models;

/// <summary>
/// An exclusive lock between processes on one lock file (an OS file lock held while the handle is open;
/// released when the process exits, so a crash leaves no stale lock).
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, polling while another process holds it, up to <paramref name="timeout"/>.</summary>
    public static async Task<FileLock> AcquireAsync(string path, string what, TimeSpan timeout, TimeSpan poll, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var started = DateTime.UtcNow;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow - started < timeout)
            {
                await Task.Delay(poll, ct);
            }
            catch (IOException ex)
            {
                throw new ModelStoreException(
                    $"another process is downloading {what} (lock '{path}' held for more than {timeout}); wait for it to finish and try again", ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
