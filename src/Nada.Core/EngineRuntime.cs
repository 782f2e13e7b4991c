using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Nada.Core;

/// <summary>
/// Process-wide settings of LibTorch's CPU threads, applied before LibTorch is loaded.
/// </summary>
/// <remarks>
/// <para>
/// LibTorch (CPU build) runs its intra-op parallelism on GNU OpenMP (the bundled <c>libgomp</c>). By default an
/// idle OpenMP worker spins for about 300,000 iterations (some milliseconds) before it sleeps, unless the process
/// has more OpenMP threads than CPUs, when it spins only 100 times. That rule collapses on a shared, busy box: a
/// fresh process has exactly one thread per CPU, so its workers spin at full length at every barrier, each spin
/// burning the time slice that the thread holding the real work is waiting for. Measured here (2 CPUs, 4
/// busy loops, tiny networks): <c>nada adapt</c> for 5 steps took 35 s instead of 3.7 s idle; a web app got fast
/// again only after a sampling request had created a second OpenMP team (4 threads over 2 CPUs: throttled spins).
/// </para>
/// <para>
/// libgomp reads its settings once, when it is loaded, from the C environment (not .NET's managed copy of it).
/// So this class sets <c>OMP_WAIT_POLICY=PASSIVE</c> (idle workers sleep at once; at idle it measured no slower)
/// with <c>setenv</c> before the first TorchSharp call, unless the operator has set <c>OMP_WAIT_POLICY</c> or
/// <c>GOMP_SPINCOUNT</c>. A module initializer runs it as soon as this assembly is used, so every entry point
/// (web, CLI, bench, tests) gets it without remembering to. <see cref="Configure"/> also caps LibTorch's thread
/// count at the CPUs this process may use (.NET reads the cgroup quota; LibTorch counts every core of the box).
/// </para>
/// </remarks>
public static class EngineRuntime
{
    private static readonly object Gate = new();
    private static bool _threadsConfigured;

    /// <summary>The wait policy set when the operator set none.</summary>
    public const string DefaultWaitPolicy = "PASSIVE";

    /// <summary>Environment variable that sets LibTorch's intra-op thread count (default: the CPUs this process may use).</summary>
    public const string ThreadsVariable = "NADA_CPU_THREADS";

    /// <summary>What <see cref="EnsureEnvironment"/> found and did; null before it ran.</summary>
    public static string? EnvironmentNote { get; private set; }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "libgomp reads its settings when LibTorch loads: they must be set before any engine code can touch TorchSharp.")]
    internal static void OnModuleLoad() => EnsureEnvironment();

    /// <summary>
    /// Sets the OpenMP wait policy in the C environment if the operator did not choose one. Safe to call more than
    /// once; it has an effect only before LibTorch is loaded.
    /// </summary>
    public static void EnsureEnvironment()
    {
        lock (Gate)
        {
            if (EnvironmentNote is not null) return;
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            {
                EnvironmentNote = "not Linux: OpenMP settings left as they are";
                return;
            }
            string? policy = NativeGetEnv("OMP_WAIT_POLICY");
            string? spin = NativeGetEnv("GOMP_SPINCOUNT");
            if (policy is not null || spin is not null)
            {
                EnvironmentNote = $"OpenMP wait policy set by the environment (OMP_WAIT_POLICY={policy ?? "unset"}, GOMP_SPINCOUNT={spin ?? "unset"})";
                return;
            }
            if (LibTorchLoaded())
            {
                EnvironmentNote = "LibTorch was loaded before the engine could set OMP_WAIT_POLICY: idle OpenMP threads spin (slow on a busy CPU)";
                return;
            }
            setenv("OMP_WAIT_POLICY", DefaultWaitPolicy, 0);
            EnvironmentNote = $"OMP_WAIT_POLICY={DefaultWaitPolicy} (idle OpenMP threads sleep instead of spinning)";
        }
    }

    /// <summary>
    /// Sets LibTorch's intra-op thread count: <paramref name="threads"/> when given, else <c>NADA_CPU_THREADS</c>,
    /// else the CPUs this process may use when LibTorch would take more. Returns the count in effect. Call once at
    /// start, on any thread, before the first tensor operation (later calls only repeat the first).
    /// </summary>
    public static int Configure(int? threads = null)
    {
        EnsureEnvironment();
        lock (Gate)
        {
            if (!_threadsConfigured)
            {
                _threadsConfigured = true;
                int? wanted = threads ?? ParseThreads(Environment.GetEnvironmentVariable(ThreadsVariable));
                int current = TorchSharp.torch.get_num_threads();
                int target = wanted ?? Math.Min(current, Environment.ProcessorCount);
                if (target != current) TorchSharp.torch.set_num_threads(target);
            }
            return TorchSharp.torch.get_num_threads();
        }
    }

    /// <summary>Parses a thread count; throws naming the variable when it is not a positive integer.</summary>
    public static int? ParseThreads(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (int.TryParse(value.Trim(), out int n) && n >= 1 && n <= 4096) return n;
        throw new ArgumentException($"{ThreadsVariable}='{value}' is not a thread count: use a whole number from 1 to 4096, or leave it unset.");
    }

    private static bool LibTorchLoaded()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal) || l.Contains("libtorch_cpu", StringComparison.Ordinal));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static string? NativeGetEnv(string name)
    {
        IntPtr p = getenv(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
