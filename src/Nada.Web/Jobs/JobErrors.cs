using System.Text.RegularExpressions;
using Nada.Core.Adaptation;
using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>
/// Turns a job's failure into a message for its user: the engine's own explanations (a diverged loss, an unreadable
/// file, a bad value) with files named relative to the data and models folders; anything else (a native error from
/// LibTorch with its stack trace and addresses, a bug) as a short message with a reference an admin finds in the log.
/// </summary>
public sealed partial class JobErrors(DataPaths paths)
{
    /// <summary>Longest message shown.</summary>
    public const int MaxLength = 600;

    /// <summary>The user's message for <paramref name="e"/>; <paramref name="reference"/> ties it to the log line.</summary>
    public string ForUser(Exception e, out string reference)
    {
        reference = Guid.NewGuid().ToString("N")[..8];
        string? text = e switch
        {
            AdaptationFailedException or CheckpointException or RequestValidationException or LatentMismatchException
                or ClipFormatException or InvalidDataException or ArgumentException or FileNotFoundException => e.Message,
            InvalidOperationException when e.Message.Contains("no longer in the models folder", StringComparison.Ordinal)
                || e.Message.Contains("was deleted", StringComparison.Ordinal) => e.Message,
            IOException io when DiskSpace.IsDiskFull(io) => "The server's disk is full; the job stopped and keeps its last checkpoint. An admin has to free space; then it can be re-queued.",
            _ => null,
        };
        if (text is null) return $"The job failed inside the engine (reference {reference}). An admin can find the details in the server log.";
        return Clean(text);
    }

    /// <summary>Engine text made fit for a user: one line, server paths made relative, no stack frames, bounded length.</summary>
    public string Clean(string message)
    {
        var s = message.ReplaceLineEndings(" ");
        s = s.Replace(paths.ModelsDir + Path.DirectorySeparatorChar, "models/").Replace(paths.ModelsDir, "models")
             .Replace(paths.DataDir + Path.DirectorySeparatorChar, "").Replace(paths.DataDir, "data");
        s = AbsolutePath().Replace(s, m => Path.GetFileName(m.Value.TrimEnd('/')));
        s = StackFrame().Replace(s, "");
        return s.Length > MaxLength ? s[..MaxLength] + "..." : s.Trim();
    }

    [GeneratedRegex(@"(?<![\w.])/(?:[^\s'""/]+/)+[^\s'""/]*")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"\s+at\s+\S+\(.*?\).*$|Exception raised from .*$|frame #\d+:.*$")]
    private static partial Regex StackFrame();
}
