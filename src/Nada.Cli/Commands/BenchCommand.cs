using System.CommandLine;
using Nada.Core;
using Nada.Core.Benchmarks;

namespace Nada.Cli.Commands;

/// <summary><c>nada bench [--device cpu|cuda] [--small] [--repeats N] [--warmup N] [--workloads 1,2,3] [--json FILE]</c>.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda (default: cuda when available)" };
        var small = new Option<bool>("--small") { Description = "Tiny shapes (64 px generator, 2-layer CLIPs) for CI on a CPU" };
        var repeats = new Option<int>("--repeats") { Description = "Timed steps per workload", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before the timed ones", DefaultValueFactory = _ => 3 };
        var workloads = new Option<string>("--workloads")
        {
            Description = "Workloads: 1 train (README settings), 2 train (real selection), 3 train (no selection), 4 sampling, 5 first step, 6 fresh process vs after a sampling call, 7 compact-domain training step (settings of 1); e.g. 1,2,3",
            DefaultValueFactory = _ => "1,2,3,4,5",
        };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
        var command = new Command("bench", "Time training steps, sampling and the first step on random networks of the real shapes (no downloads)")
        {
            device, small, repeats, warmup, workloads, json,
        };
        command.SetAction(parse => io.Run(() => Run(io, parse.GetValue(device), parse.GetValue(small), parse.GetValue(repeats),
            parse.GetValue(warmup), parse.GetValue(workloads)!, parse.GetValue(json))));
        return command;
    }

    private static int Run(CliOutput io, string? deviceName, bool small, int repeats, int warmup, string workloadSpec, string? jsonPath)
    {
        var list = BenchWorkloads.Parse(workloadSpec);
        var device = EngineDevice.Choose(deviceName);
        var runner = new BenchRunner(small ? BenchShapes.Small : BenchShapes.Full, device, warmup, repeats, io.Out);
        var report = runner.Run(list);
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
