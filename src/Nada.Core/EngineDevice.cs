using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core;

/// <summary>
/// Where the engine computes: CUDA when TorchSharp sees it, else the CPU; <c>NADA_DEVICE</c> overrides (cpu, cuda, cuda:1).
/// On CUDA, TF32 is allowed for float32 matmuls (cuBLAS) and cuDNN convolutions, as PyTorch's reference runs do on
/// Ampere and later GPUs (10-bit mantissa products, float32 accumulation); <c>NADA_TF32=0</c> keeps full float32.
/// </summary>
public static class EngineDevice
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Device> Named = new();
    /// <summary>Environment variable that turns TF32 off on CUDA when set to 0.</summary>
    public const string Tf32Variable = "NADA_TF32";

    /// <summary>The device chosen at start.</summary>
    public static Device Default { get; } = Choose(Environment.GetEnvironmentVariable("NADA_DEVICE"));

    /// <summary>
    /// The device of the calling thread: a device thread of the <see cref="Scheduling.GpuBroker"/> works on its own
    /// device; any other thread (the CLI, tests) on <see cref="Default"/>.
    /// </summary>
    public static Device Current => Scheduling.DeviceScheduler.CurrentDevice is { } name ? Named.GetOrAdd(name, Choose) : Default;

    /// <summary>Resolves a device name; null or empty picks CUDA when available. Applies <see cref="EngineRuntime.Configure"/> first.</summary>
    public static Device Choose(string? name)
    {
        EngineRuntime.Configure();
        if (string.IsNullOrWhiteSpace(name))
            return Configured(cuda.is_available() ? CUDA : CPU);
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new ArgumentException($"Device '{name}' was asked for, but TorchSharp sees no CUDA device (is this the CPU build?). Use cpu.");
        return Configured(device(name));
    }

    /// <summary>Whether TF32 is allowed for both float32 matmuls and cuDNN convolutions; null without CUDA.</summary>
    public static bool? Tf32Enabled()
    {
        if (!cuda.is_available()) return null;
        return backends.cuda.matmul.allow_tf32 && backends.cudnn.allow_tf32;
    }

    private static Device Configured(Device d)
    {
        if (d.type == DeviceType.CUDA)
        {
            bool tf32 = Environment.GetEnvironmentVariable(Tf32Variable)?.Trim() != "0";
            backends.cuda.matmul.allow_tf32 = tf32;
            backends.cudnn.allow_tf32 = tf32;
        }
        return d;
    }
}
