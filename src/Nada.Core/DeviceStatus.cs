namespace Nada.Core;

/// <summary>What the engine computes on, for admins: device, GPU name and memory in use.</summary>
/// <param name="Device">The engine's device ("cpu", "cuda", "cuda:1").</param>
/// <param name="CudaDevices">CUDA devices TorchSharp sees.</param>
/// <param name="GpuName">The GPU's name per NVML, when on CUDA and the driver answers.</param>
/// <param name="MemoryUsedBytes">Memory in use: the whole GPU per NVML on CUDA (all processes, the caching allocator's
/// reserve included), else this process's resident set; null when unknown.</param>
/// <param name="MemoryTotalBytes">The GPU's memory, when known.</param>
/// <param name="MemorySource">What <paramref name="MemoryUsedBytes"/> measures.</param>
public sealed record DeviceStatus(string Device, int CudaDevices, string? GpuName, long? MemoryUsedBytes, long? MemoryTotalBytes, string MemorySource)
{
    /// <summary>Reads the current status of the engine's default device (cheap: no tensors are made).</summary>
    public static DeviceStatus Read() => Read(EngineDevice.Default);

    /// <summary>Reads the status of a named device ("cpu", "cuda:1").</summary>
    public static DeviceStatus Read(string device) => Read(EngineDevice.Choose(device));

    private static DeviceStatus Read(TorchSharp.torch.Device device)
    {
        int count = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
        if (device.type == TorchSharp.DeviceType.CUDA)
        {
            var handle = Nvml.TryOpen((uint)Math.Max(0, device.index));
            var memory = Nvml.MemoryBytes(handle);
            return new DeviceStatus(device.ToString(), count, Nvml.Name(handle), memory?.Used, memory?.Total,
                memory is null ? "unavailable (no NVML; TorchSharp exposes no CUDA memory statistics)" : "whole GPU per NVML");
        }
        return new DeviceStatus(device.ToString(), count, null, Environment.WorkingSet, null, "this process's working set (CPU)");
    }
}
