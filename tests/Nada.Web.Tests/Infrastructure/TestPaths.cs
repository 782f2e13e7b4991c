namespace Nada.Web.Tests.Infrastructure;

/// <summary>Temporary folders and the artefact folder of the tests.</summary>
public static class TestPaths
{
    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "nada-web-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Deletes a temporary folder, ignoring files still held open.</summary>
    public static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Where screenshots go: $NADA_ARTIFACTS, or artifacts/ beside the test assembly.</summary>
    public static string Artifacts()
    {
        var dir = Environment.GetEnvironmentVariable("NADA_ARTIFACTS") is { Length: > 0 } a
            ? a
            : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
