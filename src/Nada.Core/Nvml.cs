using System.Runtime.InteropServices;

namespace Nada.Core;

/// <summary>
/// The few NVML calls the engine needs (the NVIDIA driver's <c>libnvidia-ml.so.1</c>): GPU name and memory. TorchSharp
/// 0.107 exposes no CUDA memory statistics, so this is where GPU memory readings come from; without the driver
/// every call answers null.
/// </summary>
internal static class Nvml
{
    private const string Lib = "libnvidia-ml.so.1";

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory { public ulong Total, Free, Used; }

    [DllImport(Lib, EntryPoint = "nvmlInit_v2")] private static extern int Init();
    [DllImport(Lib, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] private static extern int Handle(uint index, out IntPtr device);
    [DllImport(Lib, EntryPoint = "nvmlDeviceGetMemoryInfo")] private static extern int Memory(IntPtr device, out NvmlMemory memory);
    [DllImport(Lib, EntryPoint = "nvmlDeviceGetName")] private static extern int GetName(IntPtr device, byte[] name, uint length);

    /// <summary>The handle of GPU <paramref name="index"/>, or zero when NVML or the GPU is missing.</summary>
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

    /// <summary>(used, total) bytes of the whole GPU, every process included.</summary>
    public static (long Used, long Total)? MemoryBytes(IntPtr device) =>
        device != IntPtr.Zero && Memory(device, out var m) == 0 ? ((long)m.Used, (long)m.Total) : null;

    /// <summary>The GPU's name.</summary>
    public static string? Name(IntPtr device)
    {
        if (device == IntPtr.Zero) return null;
        var buf = new byte[96];
        return GetName(device, buf, (uint)buf.Length) == 0 ? System.Text.Encoding.ASCII.GetString(buf).TrimEnd('\0') : null;
    }
}
