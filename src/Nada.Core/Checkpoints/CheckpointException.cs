namespace Nada.Core.Checkpoints;

/// <summary>
/// A checkpoint file could not be read: missing, empty, truncated, of an unknown format, or refused because
/// its pickle asks for something a safe reader must not construct. The message is one line that names the
/// file, the problem and what to do.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string path, string problem, string? advice = null, Exception? inner = null)
        : base(Compose(path, problem, advice), inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>The problem alone, without the file name and advice.</summary>
    public string Problem { get; }

    private static string Compose(string path, string problem, string? advice)
    {
        var text = $"Cannot read checkpoint '{path}': {problem}";
        if (!string.IsNullOrWhiteSpace(advice))
        {
            text += ". " + advice;
        }
        return OneLine(text);
    }

    internal static string OneLine(string text) =>
        text.Replace("\r", " ").Replace("\n", " ").Trim();
}
