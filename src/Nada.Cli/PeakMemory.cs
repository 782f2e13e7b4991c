namespace Nada.Cli;

/// <summary>
/// Opt-in diagnostic: with <c>NADA_PRINT_PEAK_RSS=1</c> the CLI prints its peak resident memory
/// (<c>VmHWM</c> of <c>/proc/self/status</c>) as one last stderr line <c>peak-rss-kib: N</c>, so tests and
/// operators can measure what a command cost without an external tool. Linux only; silent elsewhere.
/// </summary>
public static class PeakMemory
{
    /// <summary>The environment variable that turns the report on.</summary>
    public const string Variable = "NADA_PRINT_PEAK_RSS";

    /// <summary>The prefix of the reported line.</summary>
    public const string Prefix = "peak-rss-kib: ";

    /// <summary>Writes the peak RSS line when <see cref="Variable"/> is "1".</summary>
    public static void ReportIfAsked(TextWriter error)
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1" || PeakKib() is not { } kib) return;
        error.WriteLine(Prefix + kib);
    }

    /// <summary>VmHWM in KiB, or null where /proc/self/status is not available.</summary>
    public static long? PeakKib()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var digits = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.TryParse(digits, out var kib) ? kib : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
