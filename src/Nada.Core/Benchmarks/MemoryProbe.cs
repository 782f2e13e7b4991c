using System.Runtime.InteropServices;

namespace Nada.Core.Benchmarks;

/// <summary>
/// Peak memory readings. On the CPU: the peak resident set of each step above the resident set before it (the step's
/// own peak, not the process's), and the process's peak. Before a step the probe collects .NET garbage, hands freed
/// native heap memory back to the OS (<c>malloc_trim</c>), reads VmRSS and resets the kernel's high-water mark (writing
/// "5" to <c>/proc/self/clear_refs</c>); after it, VmHWM minus that VmRSS is the step's peak. TorchSharp 0.107 exposes
/// no CUDA allocator statistics, so on CUDA the probe reads the device's used memory from NVML (the driver's
/// <c>libnvidia-ml.so.1</c>): that includes the CUDA context and the caching allocator's reserve, which never shrinks,
/// and every process on the GPU.
/// </summary>
public sealed class MemoryProbe
{
    private readonly bool _cuda;
    private IntPtr _nvmlDevice;
    private long _peakDevice;
    private long _processPeak;
    private long? _rssBefore;
    private long? _stepPeak;
    private bool? _resetWorks;

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

    /// <summary>What <see cref="StepPeak"/> measures; null where it is not measured.</summary>
    public string? StepSource => _cuda ? null
        : _resetWorks == false ? "unavailable: /proc/self/clear_refs could not be written, so the high-water mark cannot be reset per step"
        : "peak resident set of a step above the resident set just before it (malloc_trim, then VmHWM reset via /proc/self/clear_refs), max over the timed steps (warm-up steps excluded)";

    /// <summary>Name of the GPU per NVML, when available.</summary>
    public string? GpuName => Nvml.Name(_nvmlDevice);

    /// <summary>Call right before a step: on the CPU, trims the native heap, reads the resident set and resets the high-water mark.</summary>
    public void BeginStep()
    {
        if (_cuda) return;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Trim();
        if (ReadStatus("VmHWM:") is long hwm) _processPeak = Math.Max(_processPeak, hwm);
        _rssBefore = ReadStatus("VmRSS:");
        _resetWorks = ResetHighWaterMark();
    }

    /// <summary>Takes a reading (call at the end of every step); <paramref name="countStep"/> false leaves the step out of <see cref="StepPeak"/> (warm-up steps).</summary>
    public void Sample(bool countStep = true)
    {
        if (Nvml.MemoryBytes(_nvmlDevice) is { } memory)
            _peakDevice = Math.Max(_peakDevice, memory.Used);
        if (_cuda) return;
        var hwm = ReadStatus("VmHWM:");
        if (hwm is long h) _processPeak = Math.Max(_processPeak, h);
        if (countStep && _resetWorks == true && _rssBefore is long before && hwm is long after)
            _stepPeak = Math.Max(_stepPeak ?? 0, after - before);
        _rssBefore = null;
    }

    /// <summary>The peak so far in bytes (process peak on the CPU, NVML's on CUDA); null when unknown.</summary>
    public long? Peak()
    {
        if (!_cuda)
        {
            if (ReadStatus("VmHWM:") is long h) _processPeak = Math.Max(_processPeak, h);
            return _processPeak > 0 ? _processPeak : null;
        }
        Sample();
        return _nvmlDevice != IntPtr.Zero ? _peakDevice : null;
    }

    /// <summary>The largest step peak (resident set above the start of the step) of the counted steps since the last <see cref="ResetSteps"/>; null on CUDA or where unmeasurable.</summary>
    public long? StepPeak() => _stepPeak;

    /// <summary>Forgets the step peaks (call between workloads).</summary>
    public void ResetSteps() => _stepPeak = null;

    /// <summary>The process's peak resident set from /proc/self/status, in bytes; null off Linux.</summary>
    public static long? ProcessPeakRss() => ReadStatus("VmHWM:");

    /// <summary>The process's current resident set from /proc/self/status, in bytes; null off Linux.</summary>
    public static long? ProcessRss() => ReadStatus("VmRSS:");

    /// <summary>
    /// Measures the peak resident set of <paramref name="action"/> above the resident set before it (see the class
    /// remarks); null where the high-water mark cannot be reset (not Linux).
    /// </summary>
    public static long? MeasureStep(Action action)
    {
        var probe = new MemoryProbe(false);
        probe.BeginStep();
        action();
        probe.Sample();
        return probe.StepPeak();
    }

    private static long? ReadStatus(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static bool ResetHighWaterMark()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static void Trim()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(UIntPtr.Zero); }
        catch (EntryPointNotFoundException) { }   // not glibc
        catch (DllNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(UIntPtr pad);
}
