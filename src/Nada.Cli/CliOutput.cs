using Nada.Core.Checkpoints;

namespace Nada.Cli;

/// <summary>Where commands write, and the one place that turns user-caused errors into "error: ..." and exit 1.</summary>
public sealed class CliOutput(TextWriter output, TextWriter error)
{
    /// <summary>Normal output (progress lines, results).</summary>
    public TextWriter Out { get; } = output;

    /// <summary>Error output.</summary>
    public TextWriter Err { get; } = error;

    /// <summary>
    /// Runs a command body; errors a user can cause (bad files, bad values) print one line
    /// <c>error: ...</c> on stderr and give exit code 1, without a stack trace.
    /// </summary>
    public int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Err.WriteLine("error: " + OneLine(e.Message));
            return 1;
        }
    }

    private static bool IsUserError(Exception e) => e is CheckpointException or FormatException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or ArgumentException or UnauthorizedAccessException or IOException
        or Nada.Core.Adaptation.AdaptationFailedException or Nada.Core.Clip.ClipFormatException;

    private static string OneLine(string s) => s.Replace("\r", " ").Replace("\n", " ").Trim();
}
