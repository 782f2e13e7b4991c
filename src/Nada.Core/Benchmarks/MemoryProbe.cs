using System.Runtime.InteropServices;

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
    public string? GpuName => _nvmlDevice != IntPtr.Zero ? Nvml.Name(_nvmlDevice) : null;

    /// <summary>Takes a reading (call at the end of every step).</summary>
    public void Sample()
    {
        if (_nvmlDevice != IntPtr.Zero && Nvml.UsedBytes(_nvmlDevice) is long used)
            _peakDevice = Math.Max(_peakDevice, used);
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

    private static class Nvml
    {
        private const string Lib = "libnvidia-ml.so.1";

        [StructLayout(LayoutKind.Sequential)]
        private struct NvmlMemory { public ulong Total, Free, Used; }

        [DllImport(Lib, EntryPoint = "nvmlInit_v2")] private static extern int Init();
        [DllImport(Lib, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] private static extern int Handle(uint index, out IntPtr device);
        [DllImport(Lib, EntryPoint = "nvmlDeviceGetMemoryInfo")] private static extern int Memory(IntPtr device, out NvmlMemory memory);
        [DllImport(Lib, EntryPoint = "nvmlDeviceGetName")] private static extern int GetName(IntPtr device, byte[] name, uint length);

        public static IntPtr TryOpen(uint index)
        {
            try
            {
                return Init() == 0 && Handle(index, out var d) == 0 ? d : IntPtr.Zero;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return IntPtr.Zero;
            }
        }

        public static long? UsedBytes(IntPtr device) => Memory(device, out var m) == 0 ? (long)m.Used : null;

        public static string? Name(IntPtr device)
        {
            var buf = new byte[96];
            return GetName(device, buf, (uint)buf.Length) == 0 ? System.Text.Encoding.ASCII.GetString(buf).TrimEnd('\0') : null;
        }
    }
}
