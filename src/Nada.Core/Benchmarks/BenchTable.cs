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
                sb.AppendLine(string.Format(inv, "    first step: {0:F2} s since process start, {1:F2} s since model construction (construction {2:F2} s, then the step {3:F2} s)",
                    ps, w.SecondsSinceConstruction, w.ConstructionSeconds, w.SecondsSinceConstruction - w.ConstructionSeconds));
            if (w.AfterSamplingMedianSeconds is double after)
                sb.AppendLine(string.Format(inv, "    fresh process: median {0:F4} s/step; after a sampling call on another thread {1:F4} s/step (ratio {2:F2})", w.MedianSeconds, after, w.MedianSeconds / after));
        }
        foreach (var n in e.Notes) sb.AppendLine("note: " + n);
        return sb.ToString();
    }

    /// <summary>
    /// One Markdown table over several reports (e.g. one per workload and precision from the GPU bundle's processes):
    /// a row per workload result, with the environment of the first report above it.
    /// </summary>
    public static string Markdown(IReadOnlyList<BenchReport> reports)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (reports.Count == 0) return "no benchmark results\n";
        var e = reports[0].Environment;
        sb.AppendLine($"device {e.Device}: {e.DeviceName}; TorchSharp {e.TorchSharpVersion}, LibTorch {e.LibTorchVersion} ({e.LibTorchPath ?? "path unknown"}); {e.Threads} threads"
                      + (e.Tf32 is bool tf32 ? $"; TF32 {(tf32 ? "on" : "off")}" : ""));
        foreach (var shapes in reports.Select(r => (r.Environment.Shapes, r.Environment.ShapesDetail)).Distinct())
            sb.AppendLine($"shapes {shapes.Shapes}: {shapes.ShapesDetail ?? "(not recorded)"}");
        sb.AppendLine();
        sb.AppendLine("| shapes | # | workload | precision | median s | timed steps | images/s | step peak MiB | peak MiB | first step s |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var rows = reports.SelectMany(r => r.Workloads.Select(w => (r.Environment.Shapes, W: w)))
            .OrderBy(x => x.Shapes, StringComparer.Ordinal).ThenBy(x => x.W.Id).ThenBy(x => PrecisionOrder(x.W.Precision));
        foreach (var (shapes, w) in rows)
        {
            string Mib(long? b) => b is long v ? (v / 1048576.0).ToString("F0", inv) : "n/a";
            string first = w.SecondsSinceConstruction is double c
                ? string.Format(inv, "{0:F2} (from process start {1:F2})", c, w.SecondsSinceProcessStart) : "";
            sb.AppendLine(string.Format(inv, "| {0} | {1} | {2} | {3} | {4:F4} | {5} | {6} | {7} | {8} | {9} |", shapes, w.Id, w.Name, w.Precision,
                w.MedianSeconds, w.StepSeconds.Count, w.ImagesPerSecond is double ips ? ips.ToString("F2", inv) : "-",
                Mib(w.StepPeakMemoryBytes), Mib(w.PeakMemoryBytes), first));
        }
        sb.AppendLine();
        foreach (var n in reports.SelectMany(r => r.Environment.Notes).Distinct()) sb.AppendLine("- " + n);
        return sb.ToString();
    }

    private static int PrecisionOrder(string p) => p switch { "fp32" => 0, "bf16" => 1, "fp16" => 2, _ => 3 };
}
