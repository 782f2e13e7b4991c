#:project ../../src/Nada.Core/Nada.Core.csproj
#:property PublishAot=false
// Compact vs full domains on the tiny parity networks, and file sizes at FFHQ config-f 1024 shapes.
// Build on the host (NuGet), run where TorchSharp loads; figures and their reading in docs/compact-domains.md:
//   dotnet build scripts/experiments/compact-vs-full.cs -o /tmp/nada-exp
//   scripts/in-userland.sh dotnet /tmp/nada-exp/compact-vs-full.dll runs PARITY_DIR OUT_DIR [ITERS] [LAMBDA_ANGLE]
//   scripts/in-userland.sh dotnet /tmp/nada-exp/compact-vs-full.dll sizes OUT_DIR
//   scripts/in-userland.sh dotnet /tmp/nada-exp/compact-vs-full.dll bench r256|full|small 1|7 [REPEATS] [JSON]   (one workload per process)
//   scripts/in-userland.sh dotnet /tmp/nada-exp/compact-vs-full.dll stepmem r256|full compact|full [STEPS]          (one per process)
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Nada.Core;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Benchmarks;
using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Evaluation;
using Nada.Core.Generators;
using Nada.Core.Runs;
using static TorchSharp.torch;

EngineRuntime.EnsureEnvironment();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
return args.FirstOrDefault() switch
{
    "runs" => Runs(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 300, args.Length > 4 ? float.Parse(args[4]) : 1f),
    "sizes" => Sizes(args[1]),
    "stepmem" => StepMemory(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 3),
    "bench" => Bench(args[1], int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 2, args.ElementAtOrDefault(4)),
    _ => Usage(),
};

// nada bench's workload 1 or 7 at given shapes; r256 = config-f widths at 256 px with ViT-B/32 (the reference's memory
// table; `nada bench --shapes r256` once the memory work is merged), so a CPU step fits in memory on a small host.
static int Bench(string shapesName, int workload, int repeats, string? json)
{
    var shapes = shapesName switch
    {
        "full" => BenchShapes.Full,
        "small" => BenchShapes.Small,
        "r256" => new BenchShapes("r256", BenchShapes.ConfigF(256, 512, 8, 32768), [BenchShapes.ViTB(32)], 12),
        _ => throw new ArgumentException($"unknown shapes {shapesName}"),
    };
    using (var g = new StyleGan2Generator(shapes.Generator))
    {
        long all = g.parameters().Sum(p => p.NumberOfElements), buffers = g.buffers().Sum(b => b.NumberOfElements);
        long trained = g.named_parameters().Where(p => p.name.StartsWith("conv1.", StringComparison.Ordinal) || p.name.StartsWith("convs.", StringComparison.Ordinal)).Sum(p => p.parameter.NumberOfElements);
        Console.WriteLine($"generator: {all} parameters + {buffers} buffer values ({(all + buffers) * 4 / 1e6:F1} MB float32); workload 1 trains {trained} (conv1 and convs): " +
            $"gradients {trained * 4 / 1e6:F1} MB, Adam moments {trained * 8 / 1e6:F1} MB");
    }
    var runner = new BenchRunner(shapes, CPU, warmup: 1, repeats: repeats, Console.Out);
    var report = runner.Run([(BenchWorkload)workload]);
    Console.Write(BenchTable.Format(report));
    if (json is not null) File.WriteAllText(json, report.ToJson());
    return 0;
}

// Resident memory of a training step at r256 shapes, full or compact trainer (workload 1's settings), one per process:
// RSS after construction, then per step the RSS before it and the step's peak (malloc_trim, VmHWM reset via clear_refs).
static int StepMemory(string shapesName, string kind, int steps)
{
    var shapes = shapesName == "full" ? BenchShapes.Full
        : new BenchShapes("r256", BenchShapes.ConfigF(256, 512, 8, 32768), [BenchShapes.ViTB(32)], 12);
    var options = AdaptationOptions.ReadmePreset with { AutoLayerK = shapes.Generator.NumWs };
    long before = Rss();
    IDisposable rig;
    Func<int, float> step;
    if (kind == "compact")
    {
        var c = new CompactTrainingRig(shapes, options, CPU);
        (rig, step) = (c, c.Step);
    }
    else
    {
        var f = new TrainingRig(shapes, options, CPU);
        (rig, step) = (f, f.Step);
    }
    using (rig)
    {
        Console.WriteLine($"{kind} at {shapes.Name}: RSS {Mb(before)} before construction, {Mb(Rss())} after");
        for (int i = 0; i < steps; i++)
        {
            Trim();
            long start = Rss();
            ResetPeak();
            var sw = Stopwatch.StartNew();
            float loss = step(i);
            long peak = Peak();
            Console.WriteLine($"  step {i + 1}: {sw.Elapsed.TotalSeconds:F1} s, loss {loss:F4}, RSS before {Mb(start)}, step peak {Mb(peak)} (+{Mb(peak - start)}), after {Mb(Rss())}");
        }
    }
    return 0;
}

static string Mb(long bytes) => $"{bytes / 1048576.0:F0} MiB";
static long Rss() => Status("VmRSS:");
static long Peak() => Status("VmHWM:");
static long Status(string key) => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(key)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
static void Trim() => Native.malloc_trim(0);

static int Usage()
{
    Console.Error.WriteLine("usage: compact-vs-full runs PARITY_DIR OUT_DIR [ITERS] [LAMBDA_ANGLE] | sizes OUT_DIR | bench r256|full|small 1|7 [REPEATS] [JSON] | stepmem r256|full compact|full [STEPS]");
    return 2;
}

static int Runs(string parity, string outDir, int iters, float lambdaAngle)
{
    Directory.CreateDirectory(outDir);
    string generator = Path.Combine(parity, "stylegan2_rosinality.pt");
    string clip = Path.Combine(parity, "clip_openai_tiny_vit.pt");
    string evaluator = WriteRandomEvaluator(clip, Path.Combine(outDir, "evaluator_random_tiny_clip.safetensors"));
    var full = new AdaptationOptions();
    var compact = AdaptationOptions.HyperDomainNetPreset;
    var runs = new (string Name, DomainKind Kind, AdaptationOptions Options)[]
    {
        ("full", DomainKind.Full, full),
        ("full+angle", DomainKind.Full, full with { LambdaAngle = lambdaAngle }),
        ("compact", DomainKind.Compact, compact),
        ("compact+angle", DomainKind.Compact, compact with { LambdaAngle = lambdaAngle }),
    };
    var rows = new List<object>();
    foreach (var (name, kind, options) in runs)
    {
        string dir = Path.Combine(outDir, name.Replace('+', '-'));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var request = new AdaptationRequest
        {
            GeneratorPath = generator, ClipModels = [new ClipModelChoice(clip)], SourceText = "photo", TargetText = "sketch",
            Iterations = iters, OutputDirectory = dir, Kind = kind, Options = options with { SampleEvery = 100, CheckpointEvery = 1000 },
        };
        var sw = Stopwatch.StartNew();
        var result = DomainAdapter.Run(request, RunContext.For(NoRunProgress.Instance));
        double seconds = sw.Elapsed.TotalSeconds;
        var history = new RunHistory(new RunLayout(dir)).Read();
        double LastMean(string key) => history.TakeLast(20).Where(h => h.Values.ContainsKey(key)).Select(h => h.Values[key]).DefaultIfEmpty(double.NaN).Average();
        var domain = new DomainWeight(result.GeneratorFile);
        DomainScores Score(string clipFile) => DomainEvaluator.Evaluate(new EvaluationRequest
        {
            GeneratorPath = generator, Domains = [domain], ClipPath = clipFile, TargetText = "sketch", SourceText = "photo", Samples = 64, Seed = 1000,
        });
        var train = Score(clip);
        var other = Score(evaluator);
        long size = new FileInfo(result.GeneratorFile).Length;
        var row = new
        {
            run = name, kind = kind.ToString(), iterations = iters, seconds, lambdaAngle = options.LambdaAngle, batch = options.BatchSize,
            lr = options.LearningRate, adam = options.Adam.ToString(), mixing = options.Mixing,
            finalDirectionalLoss = LastMean("directional"), finalAngleLoss = LastMean("angle"),
            trainingClip = train, independentClip = other, domainFileBytes = size,
        };
        rows.Add(row);
        Console.WriteLine($"{name,-14} {seconds,7:F1} s  loss(dir, last 20) {row.finalDirectionalLoss:F4}  angle {row.finalAngleLoss:F5}  " +
            $"| training CLIP: quality {train.Quality:F4} (base {train.BaseQuality:F4}) diversity {train.Diversity:F4} (base {train.BaseDiversity:F4}) directional {train.Directional:F4} " +
            $"| random CLIP: quality {other.Quality:F4} (base {other.BaseQuality:F4}) diversity {other.Diversity:F4} (base {other.BaseDiversity:F4}) directional {other.Directional:F4}  | file {size} B");
    }
    File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    return 0;
}

// A tiny CLIP of the training CLIP's shapes with other random weights: an evaluator that was not used in training.
static string WriteRandomEvaluator(string like, string path)
{
    using var scope = NewDisposeScope();
    using var trained = ClipLoader.Load(like);
    using var random = RandomClip.Create(trained.Config, seed: 4242);
    SafeTensorsFile.Save(path, random.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value));
    return path;
}

static int Sizes(string outDir)
{
    Directory.CreateDirectory(outDir);
    using var scope = NewDisposeScope();
    manual_seed(7);
    using var g = new StyleGan2Generator(BenchShapes.Full.Generator);
    var id = GeneratorIdentity.Of(g, "ffhq-config-f-1024 (random weights)");
    foreach (bool toRgb in new[] { false, true })
    {
        var offsets = g.ModulatedLayers.Where(l => toRgb || !l.IsToRgb).ToDictionary(l => l.Name, l => zeros(l.InChannels).DetachFromDisposeScope());
        var info = new CompactDomainInfo
        {
            BaseGenerator = id, Family = "StyleGan2", SourceText = "photo", TargetText = "sketch", IncludesToRgb = toRgb, Iterations = 300,
            Options = AdaptationOptions.HyperDomainNetPreset with { CompactToRgb = toRgb }, Created = DateTimeOffset.UtcNow,
            Clips = [new TrainingClip("ViT-B-32.pt", 1, new string('0', 64)), new TrainingClip("ViT-B-16.pt", 1, new string('0', 64))],
        };
        using var domain = new CompactDomain(info, offsets);
        string file = Path.Combine(outDir, toRgb ? "compact-with-to-rgb.safetensors" : "compact.safetensors");
        CompactDomainFile.Save(file, domain);
        Console.WriteLine($"compact domain{(toRgb ? " with to_rgb" : "")}: {domain.Offsets.Count} layers, {domain.ParameterCount} offsets, file {new FileInfo(file).Length} bytes");
    }
    string full = GeneratorLoader.Save(g, Path.Combine(outDir, "full-generator"));
    long parameters = g.parameters().Sum(p => p.NumberOfElements);
    long trainable = g.named_parameters().Where(p => !p.name.StartsWith("style.", StringComparison.Ordinal) && !p.name.StartsWith("to_rgb", StringComparison.Ordinal)).Sum(p => p.parameter.NumberOfElements);
    Console.WriteLine($"full domain (generator.safetensors): {parameters} parameters, file {new FileInfo(full).Length} bytes; trainable by StyleGAN-NADA's default phase/selection (no mapping, no to_rgb): {trainable}");
    return 0;
}

static class Native
{
    [System.Runtime.InteropServices.DllImport("libc")]
    public static extern int malloc_trim(nuint pad);
}
