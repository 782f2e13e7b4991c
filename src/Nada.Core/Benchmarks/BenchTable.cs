using System.Globalization;
using System.Text;

namespace Nada.Core.Benchmarks;

/// <summary>The plain-text table of a <see cref="BenchReport"/> for a terminal.</summary>
public static class BenchTable
{
    /// <summary>Formats the environment lines and one row per workload.</summary>
    public static string Format(BenchReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var e = report.Environment;
        var sb = new StringBuilder();
        sb.AppendLine($"device {e.Device}: {e.DeviceName}");
        sb.AppendLine($"TorchSharp {e.TorchSharpVersion}, LibTorch {e.LibTorchVersion} ({e.LibTorchPath ?? "path unknown"}), {e.Threads} threads, {e.Shapes} shapes");
        if (e.ThreadPolicy is not null) sb.AppendLine($"threads: {e.ThreadPolicy}");
        sb.AppendLine(string.Format(inv, "{0,-3} {1,-16} {2,12} {3,10} {4,12} {5,12}", "#", "workload", "median s", "timed", "images/s", "peak MiB"));
        foreach (var w in report.Workloads)
        {
            string ips = w.ImagesPerSecond is double v ? v.ToString("F2", inv) : "-";
            string mem = w.PeakMemoryBytes is long b ? (b / 1048576.0).ToString("F0", inv) : "n/a";
            sb.AppendLine(string.Format(inv, "{0,-3} {1,-16} {2,12:F4} {3,10} {4,12} {5,12}", w.Id, w.Name, w.MedianSeconds, w.StepSeconds.Count, ips, mem));
            if (w.SecondsSinceProcessStart is double ps)
                sb.AppendLine(string.Format(inv, "    first step: {0:F2} s since process start, {1:F2} s since model construction", ps, w.SecondsSinceConstruction));
            if (w.AfterSamplingMedianSeconds is double after)
                sb.AppendLine(string.Format(inv, "    fresh process: median {0:F4} s/step; after a sampling call on another thread {1:F4} s/step (ratio {2:F2})", w.MedianSeconds, after, w.MedianSeconds / after));
        }
        foreach (var n in e.Notes) sb.AppendLine("note: " + n);
        return sb.ToString();
    }
}
