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
        if (e.ShapesDetail is not null) sb.AppendLine($"shapes: {e.ShapesDetail}");
        if (e.Tf32 is bool tf32) sb.AppendLine($"TF32 (matmul and cuDNN): {(tf32 ? "on" : "off")}");
        sb.AppendLine(string.Format(inv, "{0,-3} {1,-16} {2,-8} {3,12} {4,6} {5,10} {6,14} {7,14}", "#", "workload", "prec", "median s", "timed", "images/s", "step peak MiB", "proc peak MiB"));
        foreach (var w in report.Workloads)
        {
            string ips = w.ImagesPerSecond is double v ? v.ToString("F2", inv) : "-";
            string mem = w.PeakMemoryBytes is long b ? (b / 1048576.0).ToString("F0", inv) : "n/a";
            string step = w.StepPeakMemoryBytes is long sbytes ? (sbytes / 1048576.0).ToString("F0", inv) : "n/a";
            sb.AppendLine(string.Format(inv, "{0,-3} {1,-16} {2,-8} {3,12:F4} {4,6} {5,10} {6,14} {7,14}", w.Id, w.Name, w.Precision, w.MedianSeconds, w.StepSeconds.Count, ips, step, mem));
            if (w.SecondsSinceProcessStart is double ps)
                sb.AppendLine(string.Format(inv, "    first step: {0:F2} s since process start, {1:F2} s since model construction", ps, w.SecondsSinceConstruction));
            if (w.AfterSamplingMedianSeconds is double after)
                sb.AppendLine(string.Format(inv, "    fresh process: median {0:F4} s/step; after a sampling call on another thread {1:F4} s/step (ratio {2:F2})", w.MedianSeconds, after, w.MedianSeconds / after));
        }
        foreach (var n in e.Notes) sb.AppendLine("note: " + n);
        return sb.ToString();
    }
}
