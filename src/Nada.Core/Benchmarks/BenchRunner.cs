using System.Diagnostics;
using System.Reflection;
using Nada.Core.Adaptation;
using Nada.Core.Generators;
using Nada.Core.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Benchmarks;

/// <summary>
/// Times the engine's hot paths on random networks of given shapes: training steps through <see cref="NadaTrainer"/>
/// (README settings, real layer selection, no selection), sampling, and the first step after start. Each workload
/// runs its warm-up steps, then its timed steps, each ended by a host synchronisation; the median is reported.
/// </summary>
public sealed partial class BenchRunner(BenchShapes shapes, Device device, int warmup, int repeats, TextWriter? log = null)
{
    private readonly bool _cuda = device.type == DeviceType.CUDA;

    /// <summary>Runs the workloads (the first-step workload first, so its process-start time means something) in the default precision.</summary>
    public BenchReport Run(IReadOnlyList<BenchWorkload> workloads) => Run(workloads, [null]);

    /// <summary>
    /// Runs the workloads once per precision (null: the device's default plan, see <see cref="PrecisionPlan.For"/>),
    /// precision by precision; within the first precision the start-up workloads run first, so their process-start time
    /// means something. Results are reported in precision order, then workload number.
    /// </summary>
    public BenchReport Run(IReadOnlyList<BenchWorkload> workloads, IReadOnlyList<ComputePrecision?> precisions)
    {
        if (warmup < 0) throw new ArgumentException($"Warm-up steps must be 0 or more (got {warmup}).");
        if (repeats < 1) throw new ArgumentException($"Repeats must be at least 1 (got {repeats}).");
        if (precisions.Count == 0) throw new ArgumentException("Give at least one precision.");
        var started = DateTimeOffset.Now;
        var probe = new MemoryProbe(_cuda);
        var ordered = workloads.OrderBy(w => BenchWorkloads.StartUp.Contains(w) ? -100 + BenchWorkloads.StartUp.ToList().IndexOf(w) : (int)w).ToList();
        var results = new List<BenchWorkloadResult>();
        foreach (var precision in precisions)
        {
            var plan = PrecisionPlan.For(precision, device);
            string label = precision?.Name() ?? "default";
            var batch = new List<BenchWorkloadResult>();
            foreach (var w in ordered)
            {
                log?.WriteLine($"running {(int)w} {BenchWorkloads.Name(w)} ({shapes.Name} shapes, {device.type}, precision {label}: {plan})...");
                probe.ResetSteps();
                var r = w switch
                {
                    BenchWorkload.FirstStep => FirstStep(probe, plan),
                    BenchWorkload.Sample => Sample(probe, plan),
                    BenchWorkload.FreshProcess => FreshProcess(probe, plan),
                    BenchWorkload.TrainCompact => TrainCompact(probe, plan),
                    BenchWorkload.SampleSg3 => Sample(probe, plan, styleGan3: true),
                    _ => Train(w, probe, plan),
                };
                batch.Add(r with
                {
                    Precision = label,
                    PrecisionDetail = plan.ToString(),
                    StepPeakMemoryBytes = probe.StepPeak(),
                    StepMemorySource = probe.StepSource,
                });
            }
            results.AddRange(batch.OrderBy(r => r.Id));
        }
        return new BenchReport(Environment(probe, precisions.Count), started, results);
    }

    /// <summary>The trainer options of a training workload, from the reference README preset.</summary>
    public AdaptationOptions OptionsFor(BenchWorkload w)
    {
        int numWs = shapes.Generator.NumWs;
        var readme = AdaptationOptions.ReadmePreset with { AutoLayerK = numWs };
        return w switch
        {
            BenchWorkload.TrainReadme or BenchWorkload.FirstStep or BenchWorkload.FreshProcess => readme,
            BenchWorkload.TrainSg3 => readme with { AutoLayerK = shapes.StyleGan3.NumWs },
            BenchWorkload.TrainSelect => readme with { AutoLayerK = shapes.SelectionK },
            BenchWorkload.TrainNoSelect => readme with { AutoLayerIters = 0, AutoLayerK = null },
            _ => throw new ArgumentOutOfRangeException(nameof(w), "not a training workload"),
        };
    }

    private BenchWorkloadResult Train(BenchWorkload w, MemoryProbe probe, PrecisionPlan plan)
    {
        var o = OptionsFor(w);
        var build = Stopwatch.StartNew();
        using var rig = new TrainingRig(shapes, o, device, plan, styleGan3: w == BenchWorkload.TrainSg3);
        log?.WriteLine($"  networks built in {build.Elapsed.TotalSeconds:F1} s");
        string what = w switch
        {
            BenchWorkload.TrainSg3 => $"StyleGAN3 training step, README settings: batch {o.BatchSize}, k {o.AutoLayerK} = all W+ entries (selection skipped), {o.AutoLayerIters} iteration, selection batch {o.AutoLayerBatch}",
            BenchWorkload.TrainSelect => $"training step, batch {o.BatchSize}, layer selection k {o.AutoLayerK} of {shapes.Generator.NumWs} ({o.AutoLayerIters} iteration, selection batch {o.AutoLayerBatch})",
            BenchWorkload.TrainNoSelect => $"training step, batch {o.BatchSize}, no layer selection (auto-layer iterations 0, phase {o.Phase})",
            _ => $"training step, README settings: batch {o.BatchSize}, k {o.AutoLayerK} = all W+ entries (selection skipped), {o.AutoLayerIters} iteration, selection batch {o.AutoLayerBatch}",
        };
        var times = Time(step => rig.Step(step), probe);
        return Result(w, what, times, null, probe);
    }

    private BenchWorkloadResult Sample(MemoryProbe probe, PrecisionPlan plan, bool styleGan3 = false)
    {
        using var g = TrainingRig.RandomGenerator(shapes, device, styleGan3);
        g.ComputeDtype = plan.Generator.DType();
        using var gen = new Generator(11);
        int batch = shapes.SampleBatch;
        var times = Time(_ =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = randn([batch, g.Config.ZDim], generator: gen).to(device);   // [B, ZDim]
            var images = g.Generate(z, shapes.SampleTruncation, NoiseMode.Const); // [B, 3, R, R]
            Synchronize(images);
        }, probe);
        double median = Median(times);
        return Result(styleGan3 ? BenchWorkload.SampleSg3 : BenchWorkload.Sample,
            $"{(styleGan3 ? "StyleGAN3 " : "")}sampling {g.Config.ImgResolution} px, batch {batch}, truncation {shapes.SampleTruncation}, constant noise, no gradient",
            times, batch / median, probe);
    }

    private BenchWorkloadResult FirstStep(MemoryProbe probe, PrecisionPlan plan)
    {
        probe.BeginStep();
        var sw = Stopwatch.StartNew();
        using var rig = new TrainingRig(shapes, OptionsFor(BenchWorkload.FirstStep), device, plan);
        double construction = sw.Elapsed.TotalSeconds;
        rig.Step(0);
        Synchronize(null);
        double sinceConstruction = sw.Elapsed.TotalSeconds;
        double sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;
        probe.Sample();
        return Result(BenchWorkload.FirstStep,
            "process start (and model construction) to the end of the first training step, README settings, random weights (no file reading); its step memory includes construction",
            [sinceConstruction], null, probe, 0) with
            {
                SecondsSinceProcessStart = sinceStart,
                SecondsSinceConstruction = sinceConstruction,
                ConstructionSeconds = construction,
            };
    }

    private BenchWorkloadResult FreshProcess(MemoryProbe probe, PrecisionPlan plan)
    {
        using var rig = new TrainingRig(shapes, OptionsFor(BenchWorkload.FreshProcess), device, plan);
        var fresh = Time(step => rig.Step(step), probe);
        // A sampling call on another thread, as an inline sampling request of the web app makes one.
        var sampler = new Thread(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var g = TrainingRig.RandomGenerator(shapes, device);
            g.ComputeDtype = plan.Generator.DType();
            Synchronize(g.Generate(randn([2, g.Config.ZDim]).to(device), 0.7f));
        }) { Name = "bench sampling call" };
        sampler.Start();
        sampler.Join();
        var warm = Time(step => rig.Step(step), probe);
        return Result(BenchWorkload.FreshProcess,
            "training step (README settings) in a fresh process; then the same steps after a sampling call on another thread",
            fresh, null, probe) with { AfterSamplingMedianSeconds = Median(warm) };
    }

    private List<double> Time(Action<int> step, MemoryProbe probe)
    {
        var times = new List<double>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            probe.BeginStep();
            var sw = Stopwatch.StartNew();
            step(i);
            Synchronize(null);
            double s = sw.Elapsed.TotalSeconds;
            probe.Sample(countStep: i >= warmup);
            log?.WriteLine($"  step {i + 1}/{warmup + repeats}{(i < warmup ? " (warm-up)" : "")}: {s:F4} s");
            if (i >= warmup) times.Add(s);
        }
        return times;
    }

    private void Synchronize(Tensor? t)
    {
        if (_cuda) cuda.synchronize();
        else t?.sum().item<float>();
    }

    private BenchWorkloadResult Result(BenchWorkload w, string what, List<double> times, double? imagesPerSecond, MemoryProbe probe, int? warm = null) =>
        new((int)w, BenchWorkloads.Name(w), what, warm ?? warmup, times, Median(times), imagesPerSecond, probe.Peak(), probe.Source);

    /// <summary>The median of a non-empty list.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private BenchEnvironmentInfo Environment(MemoryProbe probe, int precisionCount)
    {
        var notes = new List<string>
        {
            (shapes.Name == "small" ? "random weights of tiny shapes" : "random weights of the real shapes") + "; the CLIP loss is the directional loss photo -> sketch over every CLIP model with weight 1",
            "process peak memory: " + probe.Source + (_cuda ? "" : "; it grows over the workloads of one process, run one workload per process for per-workload figures"),
        };
        if (probe.StepSource is { } stepSource) notes.Add("step peak memory: " + stepSource);
        if (precisionCount > 1) notes.Add("several precisions in one process: only the first precision's first_step is timed from a fresh process");
        if (_cuda) notes.Add("the CUDA reserve only grows within a process: run one workload per process for per-workload peaks");
        if (shapes.Name == "small") notes.Add("small shapes: not comparable to the reference's figures");
        string name = _cuda ? probe.GpuName ?? "CUDA device (name unavailable: NVML not loaded)" : CpuName();
        var tsVersion = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        return new BenchEnvironmentInfo(device.type == DeviceType.CUDA ? "cuda" : "cpu", name, tsVersion, LibTorchVersion(),
            LoadedLibTorch(), get_num_threads(), shapes.Name, notes, EngineRuntime.EnvironmentNote, shapes.Describe(),
            _cuda ? EngineDevice.Tf32Enabled() : null);
    }

    private static string LibTorchVersion()
    {
        try { return __version__; }
        catch (Exception e) when (e is not OutOfMemoryException) { return "unknown"; }
    }

    private static string? LoadedLibTorch()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(p => p.Length >= 6 && p[5].EndsWith("/libtorch_cpu.so", StringComparison.Ordinal))
                .Select(p => p[5]).FirstOrDefault();
        }
        catch (IOException) { return null; }
    }

    private static string CpuName()
    {
        string model = "unknown CPU";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException) { }
        return $"{model} ({System.Environment.ProcessorCount} logical CPUs)";
    }
}
