namespace Nada.Core.Models;

/// <summary>A model-store failure a user or admin can act on; the message says what happened and what to do.</summary>
public class ModelStoreException : Exception
{
    public ModelStoreException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The registry file is missing, unreadable or invalid.</summary>
public sealed class ModelRegistryException(string message, Exception? inner = null) : ModelStoreException(message, inner);

/// <summary>The server answered 404/410 for a model URL.</summary>
public sealed class ModelNotFoundOnServerException(string message, IReadOnlyList<string> urls, string manualPath)
    : ModelStoreException(message)
{
    /// <summary>The URLs that answered "not found".</summary>
    public IReadOnlyList<string> Urls { get; } = urls;

    /// <summary>Where an admin can place the file by hand.</summary>
    public string ManualPath { get; } = manualPath;
}

/// <summary>No source could be reached (offline, DNS failure, refused connection, transfers cut off repeatedly).</summary>
public sealed class ModelUnreachableException(string message, IReadOnlyList<string> urls, string manualPath, Exception? inner = null)
    : ModelStoreException(message, inner)
{
    /// <summary>The URLs that were tried.</summary>
    public IReadOnlyList<string> Urls { get; } = urls;

    /// <summary>Where an admin can place the file by hand.</summary>
    public string ManualPath { get; } = manualPath;
}

/// <summary>A downloaded file did not have the expected SHA-256 (or size); it has been deleted.</summary>
public sealed class ModelHashMismatchException(string message, string expected, string actual) : ModelStoreException(message)
{
    /// <summary>The expected value (hex SHA-256, or a byte count for size mismatches).</summary>
    public string Expected { get; } = expected;

    /// <summary>The value the downloaded bytes had.</summary>
    public string Actual { get; } = actual;
}
