using System.CommandLine;
using Nada.Core.Ops;

namespace Nada.Cli.Commands;

/// <summary>The <c>--precision fp32|bf16|fp16</c> option shared by adapt, sample, edit and invert.</summary>
public static class PrecisionOption
{
    /// <summary>A new option instance (one per command).</summary>
    public static Option<string?> Create(string what) => new Option<string?>("--precision")
    {
        Description = $"Compute precision of {what}: fp32, bf16 or fp16 (float32 master weights, float32 losses). Default: float32 generators; CLIP fp16 on CUDA, fp32 on the CPU",
    }.AcceptingOnly();

    /// <summary>The parsed value; null when not given.</summary>
    public static ComputePrecision? Parse(string? value) => value is null ? null : Precisions.Parse(value);

    private static Option<string?> AcceptingOnly(this Option<string?> o)
    {
        o.AcceptOnlyFromAmong("fp32", "bf16", "fp16");
        return o;
    }
}
