using System.CommandLine;
using Nada.Core;
using Nada.Core.Benchmarks;
using Nada.Core.Ops;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada bench [--device cpu|cuda] [--shapes full|r256|small] [--small] [--precision fp32,bf16,fp16|all] [--repeats N]
/// [--warmup N] [--workloads 1,2,3] [--json FILE]</c>.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda (default: cuda when available)" };
        var shapes = new Option<string?>("--shapes")
        {
            Description = "Network shapes: full (1024 px config-f, ViT-B/32 + ViT-B/16), r256 (256 px config-f widths, ViT-B/32: the reference's memory table), small (tiny, for CI)",
        };
        shapes.AcceptOnlyFromAmong([.. BenchShapes.Names]);
        var small = new Option<bool>("--small") { Description = "Same as --shapes small" };
        var precision = new Option<string?>("--precision")
        {
            Description = "Precisions to run, comma-separated: fp32, bf16, fp16, or all (default: the device's default: float32 generators; CLIP fp16 on CUDA, fp32 on the CPU)",
        };
        var repeats = new Option<int>("--repeats") { Description = "Timed steps per workload", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before the timed ones", DefaultValueFactory = _ => 3 };
        var workloads = new Option<string>("--workloads")
        {
            Description = "Workloads: 1 train (README settings), 2 train (real selection), 3 train (no selection), 4 sampling, 5 first step, 6 fresh process vs after a sampling call, 7 compact-domain training step (settings of 1), 8 StyleGAN3 training step (settings of 1), 9 StyleGAN3 sampling; e.g. 1,2,3",
            DefaultValueFactory = _ => "1,2,3,4,5",
        };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var summarize = new Option<string[]>("--summarize")
        {
            Description = "Run nothing: read these --json files (e.g. one per workload and precision) and print one Markdown table",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("bench", "Time training steps, sampling and the first step, and their peak memory, on random networks of given shapes (no downloads)")
        {
            device, shapes, small, precision, repeats, warmup, workloads, json, summarize,
        };
        command.SetAction(parse => io.Run(() => parse.GetValue(summarize) is { Length: > 0 } files
            ? Summarize(io, files)
            : Run(io, parse.GetValue(device), parse.GetValue(shapes), parse.GetValue(small),
                parse.GetValue(precision), parse.GetValue(repeats), parse.GetValue(warmup), parse.GetValue(workloads)!, parse.GetValue(json))));
        return command;
    }

    private static int Summarize(CliOutput io, string[] files)
    {
        var reports = files.Select(f => File.Exists(f)
            ? BenchReport.FromJson(File.ReadAllText(f))
            : throw new FileNotFoundException($"The benchmark result '{f}' does not exist.", f)).ToList();
        io.Out.Write(BenchTable.Markdown(reports));
        return 0;
    }

    private static int Run(CliOutput io, string? deviceName, string? shapesName, bool small, string? precisionSpec, int repeats, int warmup,
        string workloadSpec, string? jsonPath)
    {
        var list = BenchWorkloads.Parse(workloadSpec);
        if (small && shapesName is not null && shapesName != "small")
            throw new ArgumentException($"--small and --shapes {shapesName} contradict each other; give one of them.");
        var shapes = BenchShapes.Parse(shapesName ?? (small ? "small" : "full"));
        IReadOnlyList<ComputePrecision?> precisions = precisionSpec is null
            ? [null]
            : Precisions.ParseList(precisionSpec).Select(p => (ComputePrecision?)p).ToList();
        var device = EngineDevice.Choose(deviceName);
        var runner = new BenchRunner(shapes, device, warmup, repeats, io.Out);
        var report = runner.Run(list, precisions);
        io.Out.Write(BenchTable.Format(report));
        if (jsonPath is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(jsonPath, report.ToJson());
            io.Out.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }
}
