using Nada.Core.Runs;

namespace Nada.Core.Scheduling;

/// <summary>What one device of the broker is doing.</summary>
/// <param name="Device">Device name ("cpu", "cuda:0").</param>
/// <param name="JobSlots">Jobs it may run at once.</param>
/// <param name="RunningJobs">Jobs running now.</param>
/// <param name="InteractiveWaiting">Interactive items waiting.</param>
/// <param name="InteractiveWaitP95Seconds">95th percentile of recent interactive waits (enqueue to start), or null.</param>
/// <param name="StepP95Seconds">95th percentile of recent job step durations, or null.</param>
public sealed record DeviceLoad(string Device, int JobSlots, int RunningJobs, int InteractiveWaiting, double? InteractiveWaitP95Seconds, double? StepP95Seconds = null);

/// <summary>
/// The one way onto the GPUs (or the CPU): a <see cref="DeviceScheduler"/> per device. Jobs go to a device with a
/// free slot (two jobs share a device only when it has several slots); interactive work goes to the least busy
/// device and waits at most one step of a running job.
/// </summary>
public sealed class GpuBroker : IDisposable
{
    private readonly IReadOnlyList<DeviceScheduler> _devices;
    private readonly SemaphoreSlim _slots;

    /// <summary>One scheduler per device name, each with <paramref name="jobsPerDevice"/> job slots.</summary>
    public GpuBroker(IReadOnlyList<string> devices, int jobsPerDevice = 1)
    {
        if (devices.Count == 0) throw new ArgumentException("The broker needs at least one device.");
        _devices = devices.Select(d => new DeviceScheduler(d, jobsPerDevice)).ToList();
        _slots = new SemaphoreSlim(devices.Count * jobsPerDevice);
    }

    /// <summary>
    /// The engine's devices: <paramref name="count"/> CUDA devices (cuda:0, ...) when CUDA is present and count is
    /// above 0, else the CPU (or <c>NADA_DEVICE</c> when set to one device).
    /// </summary>
    public static IReadOnlyList<string> DefaultDevices(int count)
    {
        var chosen = EngineDevice.Default;
        if (chosen.type == TorchSharp.DeviceType.CUDA && Environment.GetEnvironmentVariable("NADA_DEVICE") is not { Length: > 0 })
        {
            int available = TorchSharp.torch.cuda.device_count();
            return Enumerable.Range(0, Math.Clamp(count, 1, Math.Max(1, available))).Select(i => $"cuda:{i}").ToList();
        }
        return [chosen.ToString()];
    }

    /// <summary>The devices.</summary>
    public IReadOnlyList<DeviceScheduler> Devices => _devices;

    /// <summary>Job slots over all devices.</summary>
    public int TotalJobSlots => _devices.Sum(d => d.JobSlots);

    /// <summary>What each device is doing.</summary>
    public IReadOnlyList<DeviceLoad> Load() =>
        _devices.Select(d => new DeviceLoad(d.Device, d.JobSlots, d.RunningJobs, d.InteractiveWaiting, d.InteractiveWaits.Percentile(95), d.StepTimes.Percentile(95))).ToList();

    /// <summary>Runs a job on a device with a free slot (blocking the caller until it ends); see <see cref="DeviceScheduler.RunJob{T}"/>.</summary>
    public T RunJob<T>(Func<RunContext, T> work, RunContext context)
    {
        _slots.Wait(context.Cancellation);
        try
        {
            var device = _devices.FirstOrDefault(d => d.HasFreeJobSlot) ?? _devices.OrderBy(d => d.RunningJobs).First();
            return device.RunJob(work, context);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Runs short work on the least busy device (an idle one first).</summary>
    public Task<T> RunInteractiveAsync<T>(Func<T> work, CancellationToken ct = default)
    {
        var device = _devices.OrderBy(d => d.RunningJobs).ThenBy(d => d.InteractiveWaiting).First();
        return device.RunInteractiveAsync(work, ct);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var d in _devices) d.Dispose();
    }
}
