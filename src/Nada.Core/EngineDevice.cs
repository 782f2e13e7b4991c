using static TorchSharp.torch;

namespace Nada.Core;

/// <summary>Where the engine computes: CUDA when TorchSharp sees it, else the CPU; <c>NADA_DEVICE</c> overrides (cpu, cuda, cuda:1).</summary>
public static class EngineDevice
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Device> Named = new();

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
            return cuda.is_available() ? CUDA : CPU;
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new ArgumentException($"Device '{name}' was asked for, but TorchSharp sees no CUDA device (is this the CPU build?). Use cpu.");
        return device(name);
    }
}
