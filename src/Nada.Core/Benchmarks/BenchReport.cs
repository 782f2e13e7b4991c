using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nada.Core.Benchmarks;

/// <summary>Timing of one workload.</summary>
/// <param name="Id">Workload number (1..5).</param>
/// <param name="Name">Machine name, e.g. train_readme.</param>
/// <param name="Description">What one step is.</param>
/// <param name="Warmup">Untimed steps before the timed ones.</param>
/// <param name="StepSeconds">Seconds of every timed step (host-synchronised at its end).</param>
/// <param name="MedianSeconds">Median of <paramref name="StepSeconds"/>.</param>
/// <param name="ImagesPerSecond">Images per second at the median, where the workload renders images for output.</param>
/// <param name="PeakMemoryBytes">Peak memory after the workload (see <paramref name="MemorySource"/>); null when unknown.</param>
/// <param name="MemorySource">What <paramref name="PeakMemoryBytes"/> measures.</param>
/// <param name="SecondsSinceProcessStart">First-step workload: process start to the end of the first step.</param>
/// <param name="SecondsSinceConstruction">First-step workload: start of model construction to the end of the first step.</param>
/// <param name="AfterSamplingMedianSeconds">Fresh-process workload: median step time after the sampling call (compare with <paramref name="MedianSeconds"/>).</param>
/// <param name="Precision">The precision the workload ran with: fp32, bf16, fp16, or "default" (see <see cref="Ops.PrecisionPlan.For"/>).</param>
/// <param name="PrecisionDetail">What <paramref name="Precision"/> meant for the generators and CLIP.</param>
/// <param name="StepPeakMemoryBytes">CPU: the largest peak resident set of one step above the resident set before it; null on CUDA or when unmeasurable.</param>
/// <param name="StepMemorySource">What <paramref name="StepPeakMemoryBytes"/> measures.</param>
/// <param name="ConstructionSeconds">First-step workload: the part of <paramref name="SecondsSinceConstruction"/> spent building the networks (the rest is the step, text directions included).</param>
public sealed record BenchWorkloadResult(
    int Id,
    string Name,
    string Description,
    int Warmup,
    IReadOnlyList<double> StepSeconds,
    double MedianSeconds,
    double? ImagesPerSecond,
    long? PeakMemoryBytes,
    string MemorySource,
    double? SecondsSinceProcessStart = null,
    double? SecondsSinceConstruction = null,
    double? AfterSamplingMedianSeconds = null,
    string Precision = "fp32",
    string? PrecisionDetail = null,
    long? StepPeakMemoryBytes = null,
    string? StepMemorySource = null,
    double? ConstructionSeconds = null);

/// <summary>Where and with what a benchmark ran.</summary>
/// <param name="Device">"cpu" or "cuda".</param>
/// <param name="DeviceName">CPU model or GPU name.</param>
/// <param name="TorchSharpVersion">Informational version of the TorchSharp assembly.</param>
/// <param name="LibTorchVersion">TorchSharp's <c>torch.__version__</c>: the LibTorch version TorchSharp was built for (the library actually loaded is <paramref name="LibTorchPath"/>).</param>
/// <param name="LibTorchPath">The loaded libtorch_cpu.so, showing which LibTorch build ran.</param>
/// <param name="Threads">Intra-op threads of LibTorch.</param>
/// <param name="Shapes">"full", "r256" or "small".</param>
/// <param name="Notes">Caveats of the measurement.</param>
/// <param name="ThreadPolicy">The OpenMP wait policy in effect (see <see cref="EngineRuntime"/>).</param>
/// <param name="ShapesDetail">The shapes in words (generator and CLIP architectures).</param>
/// <param name="Tf32">CUDA: whether TF32 is allowed for matmul and cuDNN convolutions; null on the CPU.</param>
public sealed record BenchEnvironmentInfo(string Device, string DeviceName, string TorchSharpVersion, string LibTorchVersion,
    string? LibTorchPath, int Threads, string Shapes, IReadOnlyList<string> Notes, string? ThreadPolicy = null,
    string? ShapesDetail = null, bool? Tf32 = null);

/// <summary>A whole benchmark run, written as JSON by <c>nada bench --json</c>.</summary>
public sealed record BenchReport(BenchEnvironmentInfo Environment, DateTimeOffset StartedAt, IReadOnlyList<BenchWorkloadResult> Workloads)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises to JSON (snake_case names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses JSON written by <see cref="ToJson"/>.</summary>
    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, Json) ?? throw new InvalidDataException("Empty benchmark JSON.");
}
