namespace Nada.Core.Benchmarks;

/// <summary>
/// Peak memory readings. TorchSharp 0.107 exposes no CUDA allocator statistics, so on CUDA the probe reads the
/// device's used memory from NVML (the driver's <c>libnvidia-ml.so.1</c>): that includes the CUDA context and the
/// caching allocator's reserve, which never shrinks, and every process on the GPU. On the CPU it reads the
/// process's peak resident set (VmHWM).
/// </summary>
public sealed class MemoryProbe
{
    private readonly bool _cuda;
    private IntPtr _nvmlDevice;
    private long _peakDevice;

    /// <summary>Creates a probe for the CPU or the first CUDA device.</summary>
    public MemoryProbe(bool cuda)
    {
        _cuda = cuda;
        if (cuda) _nvmlDevice = Nvml.TryOpen(0);
    }

    /// <summary>What <see cref="Peak"/> measures.</summary>
    public string Source => !_cuda
        ? "process peak resident set (VmHWM, CPU)"
        : _nvmlDevice != IntPtr.Zero
            ? "GPU memory in use per NVML, max over step ends (CUDA context + caching-allocator reserve; TorchSharp exposes no allocator statistics)"
            : "unavailable: TorchSharp exposes no CUDA memory statistics and NVML could not be loaded";

    /// <summary>Name of the GPU per NVML, when available.</summary>
    public string? GpuName => Nvml.Name(_nvmlDevice);

    /// <summary>Takes a reading (call at the end of every step).</summary>
    public void Sample()
    {
        if (Nvml.MemoryBytes(_nvmlDevice) is { } memory)
            _peakDevice = Math.Max(_peakDevice, memory.Used);
    }

    /// <summary>The peak so far in bytes; null when unknown.</summary>
    public long? Peak()
    {
        if (!_cuda) return ProcessPeakRss();
        Sample();
        return _nvmlDevice != IntPtr.Zero ? _peakDevice : null;
    }

    /// <summary>The process's peak resident set from /proc/self/status, in bytes; null off Linux.</summary>
    public static long? ProcessPeakRss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
