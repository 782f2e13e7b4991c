using Nada.Cli;
using Nada.Core.Benchmarks;

namespace Nada.Core.Tests.Benchmarks;

/// <summary>`nada bench --small` runs in-process on the CPU and writes a complete JSON report.</summary>
public class BenchCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-bench-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void SmallCpuBenchWritesAllWorkloads()
    {
        var json = Path.Combine(_dir.FullName, "out", "bench.json");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(["bench", "--device", "cpu", "--small", "--repeats", "2", "--warmup", "1", "--json", json], o, e);
        Assert.True(code == 0, e.ToString());

        var report = BenchReport.FromJson(File.ReadAllText(json));
        Assert.Equal("cpu", report.Environment.Device);
        Assert.Equal("small", report.Environment.Shapes);
        Assert.False(string.IsNullOrWhiteSpace(report.Environment.DeviceName));
        Assert.Matches(@"^\d+\.\d+", report.Environment.TorchSharpVersion);
        Assert.Matches(@"^\d+\.\d+", report.Environment.LibTorchVersion);
        Assert.Equal([1, 2, 3, 4, 5], report.Workloads.Select(w => w.Id));
        Assert.Equal(["train_readme", "train_select", "train_no_select", "sample", "first_step"], report.Workloads.Select(w => w.Name));
        foreach (var w in report.Workloads)
        {
            Assert.Equal(w.Name == "first_step" ? 1 : 2, w.StepSeconds.Count);
            Assert.All(w.StepSeconds, s => Assert.True(s > 0, $"{w.Name}: step time {s}"));
            Assert.True(w.MedianSeconds > 0, w.Name);
            Assert.True(w.PeakMemoryBytes > 0, w.Name);
        }
        var sample = report.Workloads.Single(w => w.Name == "sample");
        Assert.Equal(8 / sample.MedianSeconds, sample.ImagesPerSecond!.Value, 6);
        var first = report.Workloads.Single(w => w.Name == "first_step");
        Assert.True(first.SecondsSinceProcessStart >= first.SecondsSinceConstruction);
        Assert.Contains("train_select", o.ToString());      // the table
    }

    [Fact]
    public void SelectionWorkloadReallySelectsAndReadmeSkips()
    {
        var runner = new BenchRunner(BenchShapes.Small, TorchSharp.torch.CPU, 0, 1);
        using var readme = new TrainingRig(BenchShapes.Small, runner.OptionsFor(BenchWorkload.TrainReadme), TorchSharp.torch.CPU);
        Assert.False(readme.Trainer.SelectsLayers);
        var o = runner.OptionsFor(BenchWorkload.TrainSelect);
        Assert.True(o.AutoLayerK < BenchShapes.Small.Generator.NumWs);
        Assert.Equal(0, runner.OptionsFor(BenchWorkload.TrainNoSelect).AutoLayerIters);
    }

    [Fact]
    public void FullShapesAreConfigFAndViTB()
    {
        var g = BenchShapes.Full.Generator;
        Assert.Equal(18, g.NumWs);
        Assert.Equal(512, g.ChannelsAt(64));
        Assert.Equal([256, 128, 64, 32], new[] { 128, 256, 512, 1024 }.Select(g.ChannelsAt));
        Assert.Equal([32, 16], BenchShapes.Full.Clip.Select(c => c.VisionPatchSize!.Value));
        Assert.Equal(12, BenchShapes.Full.SelectionK);
    }

    [Fact]
    public void UnknownWorkloadIsAOneLineError()
    {
        var e = new StringWriter();
        int code = CliApp.Run(["bench", "--device", "cpu", "--small", "--workloads", "1,9"], new StringWriter(), e);
        Assert.Equal(1, code);
        Assert.StartsWith("error: Unknown workload '9'", e.ToString());
    }
}
