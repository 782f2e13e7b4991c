using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>The floating-point format a network computes in.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ComputePrecision>))]
public enum ComputePrecision
{
    /// <summary>float32 throughout.</summary>
    Fp32,
    /// <summary>bfloat16 activations and weight copies (float32's range, 8 bits of mantissa); parameters stay float32.</summary>
    Bf16,
    /// <summary>float16 activations and weight copies (10 bits of mantissa, range to 65504: gradients need loss scaling); parameters stay float32.</summary>
    Fp16,
}

/// <summary>
/// Which precision the generators and the CLIP models compute in. TorchSharp has no autocast, so half precision is
/// explicit: a generator keeps float32 parameters (the master weights Adam updates, with float32 state) and casts
/// them, its input and its noise to the compute dtype inside every layer, and casts its images back to float32 at its
/// output; CLIP models are frozen, so they are simply stored in the compute dtype (LayerNorm still runs in float32)
/// and their features are cast to float32 before any loss. Losses are always float32.
/// </summary>
/// <param name="Generator">Compute precision of the generators' synthesis (mapping stays float32).</param>
/// <param name="Clip">Precision the CLIP models are stored and run in.</param>
public sealed record PrecisionPlan(ComputePrecision Generator, ComputePrecision Clip)
{
    /// <summary>float32 everywhere.</summary>
    public static PrecisionPlan Fp32 { get; } = new(ComputePrecision.Fp32, ComputePrecision.Fp32);

    /// <summary>
    /// The plan for a <c>--precision</c> flag on <paramref name="device"/>: a given precision applies to the generators
    /// and CLIP alike; without one (null) the generators compute in float32 and CLIP in float16 on CUDA (as the
    /// reference does: <c>clip.load</c> gives an fp16 model on a GPU) and in float32 on the CPU.
    /// </summary>
    public static PrecisionPlan For(ComputePrecision? flag, Device device) => flag is { } p
        ? new PrecisionPlan(p, p)
        : new PrecisionPlan(ComputePrecision.Fp32, device.type == DeviceType.CUDA ? ComputePrecision.Fp16 : ComputePrecision.Fp32);

    /// <summary>"generator fp16, CLIP fp16".</summary>
    public override string ToString() => $"generator {Generator.Name()}, CLIP {Clip.Name()}";
}

/// <summary>Names and dtypes of <see cref="ComputePrecision"/>.</summary>
public static class Precisions
{
    /// <summary>All precisions, float32 first.</summary>
    public static IReadOnlyList<ComputePrecision> All { get; } = [ComputePrecision.Fp32, ComputePrecision.Bf16, ComputePrecision.Fp16];

    /// <summary>The tensor dtype of a precision.</summary>
    public static ScalarType DType(this ComputePrecision p) => p switch
    {
        ComputePrecision.Bf16 => ScalarType.BFloat16,
        ComputePrecision.Fp16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The precision of a floating-point dtype; throws for other dtypes.</summary>
    public static ComputePrecision Of(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => ComputePrecision.Fp32,
        ScalarType.BFloat16 => ComputePrecision.Bf16,
        ScalarType.Float16 => ComputePrecision.Fp16,
        _ => throw new ArgumentException($"{dtype} is not a compute precision; use float32, bfloat16 or float16."),
    };

    /// <summary>"fp32", "bf16" or "fp16".</summary>
    public static string Name(this ComputePrecision p) => p switch
    {
        ComputePrecision.Bf16 => "bf16",
        ComputePrecision.Fp16 => "fp16",
        _ => "fp32",
    };

    /// <summary>Parses "fp32", "bf16" or "fp16" (also "float32", "bfloat16", "float16", "half"); throws naming the choices.</summary>
    public static ComputePrecision Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => ComputePrecision.Fp32,
        "bf16" or "bfloat16" => ComputePrecision.Bf16,
        "fp16" or "float16" or "half" => ComputePrecision.Fp16,
        _ => throw new ArgumentException($"Unknown precision '{name}'; use fp32, bf16 or fp16."),
    };

    /// <summary>Parses a comma-separated list ("fp32,bf16", or "all"), keeping the order and dropping repeats.</summary>
    public static IReadOnlyList<ComputePrecision> ParseList(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        return spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).Distinct().ToList();
    }
}
