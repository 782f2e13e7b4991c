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
    public void SmallCpuBenchRunsEveryWorkloadInEveryPrecision()
    {
        var json = Path.Combine(_dir.FullName, "precisions.json");
        var e = new StringWriter();
        int code = CliApp.Run(["bench", "--device", "cpu", "--shapes", "small", "--precision", "all", "--repeats", "1", "--warmup", "0", "--json", json],
            new StringWriter(), e);
        Assert.True(code == 0, e.ToString());
        var report = BenchReport.FromJson(File.ReadAllText(json));
        Assert.Equal(15, report.Workloads.Count);
        foreach (var precision in new[] { "fp32", "bf16", "fp16" })
        {
            var rows = report.Workloads.Where(w => w.Precision == precision).ToList();
            Assert.Equal([1, 2, 3, 4, 5], rows.Select(w => w.Id));
            Assert.All(rows, w => Assert.Equal($"generator {precision}, CLIP {precision}", w.PrecisionDetail));
            Assert.All(rows, w => Assert.True(w.StepPeakMemoryBytes > 0, $"{precision} {w.Name}: no step memory"));
            Assert.All(rows, w => Assert.True(w.MedianSeconds > 0, $"{precision} {w.Name}"));
        }
    }

    [Fact]
    public void SmallCpuBenchRunsTheStyleGan3Workloads()
    {
        var json = Path.Combine(_dir.FullName, "sg3.json");
        var e = new StringWriter();
        int code = CliApp.Run(["bench", "--device", "cpu", "--small", "--workloads", "8,9", "--repeats", "2", "--warmup", "1", "--json", json],
            new StringWriter(), e);
        Assert.True(code == 0, e.ToString());
        var report = BenchReport.FromJson(File.ReadAllText(json));
        Assert.Equal(["train_sg3", "sample_sg3"], report.Workloads.Select(w => w.Name));
        Assert.Contains("StyleGAN3 (workloads 8, 9) 64 px, config T, 6 layers", report.Environment.ShapesDetail);
        foreach (var w in report.Workloads)
        {
            Assert.Equal(2, w.StepSeconds.Count);
            Assert.All(w.StepSeconds, s => Assert.True(s > 0, $"{w.Name}: step time {s}"));
            Assert.True(w.StepPeakMemoryBytes > 0, $"{w.Name}: no step memory");
        }
        Assert.Contains("k 8 = all W+ entries", report.Workloads[0].Description);        // 6 layers + input + ToRGB
        var sample = report.Workloads[1];
        Assert.StartsWith("StyleGAN3 sampling 64 px, batch 8", sample.Description);
        Assert.Equal(8 / sample.MedianSeconds, sample.ImagesPerSecond!.Value, 6);
    }

    [Fact]
    public void DefaultPrecisionOnTheCpuIsFloat32()
    {
        var plan = Nada.Core.Ops.PrecisionPlan.For(null, TorchSharp.torch.CPU);
        Assert.Equal(Nada.Core.Ops.PrecisionPlan.Fp32, plan);
        var cuda = Nada.Core.Ops.PrecisionPlan.For(null, new TorchSharp.torch.Device(TorchSharp.DeviceType.CUDA, 0));
        Assert.Equal(Nada.Core.Ops.ComputePrecision.Fp32, cuda.Generator);
        Assert.Equal(Nada.Core.Ops.ComputePrecision.Fp16, cuda.Clip);   // as the reference's clip.load on a GPU
    }

    [Fact]
    public void R256ShapesAreConfigFWidthsAt256WithViTB32()
    {
        var g = BenchShapes.R256.Generator;
        Assert.Equal(256, g.ImgResolution);
        Assert.Equal(14, g.NumWs);
        Assert.Equal([512, 512, 512, 512, 512, 256, 128], new[] { 4, 8, 16, 32, 64, 128, 256 }.Select(g.ChannelsAt));
        Assert.Equal((512, 512, 8), (g.ZDim, g.WDim, g.MappingLayers));
        Assert.Equal([32], BenchShapes.R256.Clip.Select(c => c.VisionPatchSize!.Value));
        Assert.Equal(12, BenchShapes.R256.SelectionK);
        Assert.Same(BenchShapes.R256, BenchShapes.Parse("r256"));
    }

    [Fact]
    public void SummarizeJoinsReportsIntoOneMarkdownTable()
    {
        var env = new BenchEnvironmentInfo("cuda", "GPU X", "0.107.0", "2.10.0", null, 16, "full", ["a note"], Tf32: true);
        BenchWorkloadResult Row(int id, string name, string precision, double median) =>
            new(id, name, "what", 3, [median], median, null, 1L << 30, "NVML", Precision: precision);
        var files = new[] { ("fp16", 0.05), ("fp32", 0.08) }.Select((p, i) =>
        {
            var path = Path.Combine(_dir.FullName, $"w1-{p.Item1}.json");
            File.WriteAllText(path, new BenchReport(env, DateTimeOffset.UnixEpoch, [Row(1, "train_readme", p.Item1, p.Item2)]).ToJson());
            return path;
        }).ToArray();
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, CliApp.Run(["bench", "--summarize", .. files], o, e));
        var lines = o.ToString().Split('\n');
        Assert.Contains(lines, l => l.Contains("TF32 on"));
        var rows = lines.Where(l => l.StartsWith("| full |", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("| fp32 | 0.0800 |", rows[0]);                 // fp32 first, whatever the file order
        Assert.Contains("| fp16 | 0.0500 |", rows[1]);
        Assert.Contains("1024", rows[0]);                              // peak MiB
    }

    [Fact]
    public void ContradictoryShapeOptionsAreAOneLineError()
    {
        var e = new StringWriter();
        int code = CliApp.Run(["bench", "--device", "cpu", "--small", "--shapes", "r256"], new StringWriter(), e);
        Assert.Equal(1, code);
        Assert.StartsWith("error: --small and --shapes r256 contradict", e.ToString());
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
        int code = CliApp.Run(["bench", "--device", "cpu", "--small", "--workloads", "1,12"], new StringWriter(), e);
        Assert.Equal(1, code);
        Assert.StartsWith("error: Unknown workload '12'", e.ToString());
    }
}
