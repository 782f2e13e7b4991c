using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Nada.Core.Runs;

namespace Nada.Core.Scheduling;

/// <summary>
/// Runs every piece of work for one device on that device's own threads (one per job slot, one by default): long
/// jobs (training, edits, inversions) and short interactive work (a sample request, a slider move, an upload's
/// preview). Interactive work never waits for a job to end: it runs at once on an idle thread, or on the job's thread
/// at the job's next step boundary (<see cref="RunContext.BetweenSteps"/>), so it waits at most one step; the job
/// continues after it. All TorchSharp work of a device thus happens on a few long-lived threads: one OpenMP team,
/// one CUDA stream per thread, thread-static dispose scopes that belong to the work item that opened them.
/// </summary>
public sealed class DeviceScheduler : IDisposable
{
    private readonly ConcurrentQueue<Item> _interactive = new();
    private readonly ConcurrentQueue<Item> _jobs = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _jobSlots;
    private readonly List<Thread> _threads = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly LatencyWindow _waits = new(512);
    private readonly LatencyWindow _steps = new(512);
    private int _runningJobs;
    private int _busyThreads;

    /// <summary>Starts the device's threads.</summary>
    /// <param name="device">Device name as the engine knows it ("cpu", "cuda:0").</param>
    /// <param name="jobSlots">Jobs that may run on the device at once (threads of the device).</param>
    public DeviceScheduler(string device, int jobSlots = 1)
    {
        if (jobSlots < 1) throw new ArgumentOutOfRangeException(nameof(jobSlots), jobSlots, "A device needs at least one job slot.");
        Device = device;
        JobSlots = jobSlots;
        _jobSlots = new SemaphoreSlim(jobSlots, jobSlots);
        for (int i = 0; i < jobSlots; i++)
        {
            var t = new Thread(Loop) { IsBackground = true, Name = $"nada-device-{device}-{i}" };
            _threads.Add(t);
            t.Start();
        }
    }

    /// <summary>The device.</summary>
    public string Device { get; }

    /// <summary>Jobs that may run at once.</summary>
    public int JobSlots { get; }

    /// <summary>Jobs running now.</summary>
    public int RunningJobs => Volatile.Read(ref _runningJobs);

    /// <summary>Interactive items waiting.</summary>
    public int InteractiveWaiting => _interactive.Count;

    /// <summary>Recent waits of interactive work, from enqueue to start.</summary>
    public LatencyWindow InteractiveWaits => _waits;

    /// <summary>Recent durations of job steps (boundary to boundary, the interactive work run between them left out).</summary>
    public LatencyWindow StepTimes => _steps;

    /// <summary>True when a job could start now without waiting.</summary>
    public bool HasFreeJobSlot => _jobSlots.CurrentCount > 0;

    /// <summary>The device of the calling thread when it is one of a scheduler's threads; else null.</summary>
    public static string? CurrentDevice => t_device;

    [ThreadStatic] private static string? t_device;
    [ThreadStatic] private static DeviceScheduler? t_owner;

    /// <summary>
    /// Runs a job on one of the device's threads and blocks the caller until it ends (its result or exception is the
    /// caller's). The work gets <paramref name="context"/> with a between-steps hook that runs waiting interactive work.
    /// Blocks while every job slot is taken.
    /// </summary>
    public T RunJob<T>(Func<RunContext, T> work, RunContext context)
    {
        _jobSlots.Wait(context.Cancellation);
        try
        {
            var item = new Item(() =>
            {
                Stopwatch? sinceBoundary = null;
                void Boundary()
                {
                    if (sinceBoundary is not null) _steps.Add(sinceBoundary.Elapsed.TotalSeconds);
                    RunWaitingInteractive();
                    sinceBoundary = Stopwatch.StartNew();
                }
                var inner = context with { BetweenSteps = Chain(context.BetweenSteps, Boundary) };
                return work(inner);
            }, CancellationToken.None, isJob: true);
            _jobs.Enqueue(item);
            _signal.Release();
            item.Done.Wait();
            return (T)item.Result()!;
        }
        finally
        {
            _jobSlots.Release();
        }
    }

    /// <summary>Runs short work on the device as soon as it can (see the class remarks); the task completes with its result.</summary>
    public Task<T> RunInteractiveAsync<T>(Func<T> work, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        if (t_owner == this)
        {
            // Already on this device's thread (work scheduling work): run inline.
            try { return Task.FromResult(work()); }
            catch (Exception e) { return Task.FromException<T>(e); }
        }
        var item = new Item(() => work(), ct, isJob: false);
        _interactive.Enqueue(item);
        _signal.Release();
        return item.AsTask<T>();
    }

    /// <summary>Runs the interactive items waiting now (called by a job between steps, on its thread).</summary>
    private void RunWaitingInteractive()
    {
        while (_interactive.TryDequeue(out var item)) Execute(item);
    }

    private void Loop()
    {
        t_device = Device;
        t_owner = this;
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try { _signal.Wait(token); }
            catch (OperationCanceledException) { break; }
            // Interactive work first; a job only when none waits.
            if (_interactive.TryDequeue(out var item) || _jobs.TryDequeue(out item))
            {
                Interlocked.Increment(ref _busyThreads);
                try { Execute(item); }
                finally { Interlocked.Decrement(ref _busyThreads); }
            }
        }
    }

    private void Execute(Item item)
    {
        if (!item.IsJob) _waits.Add(item.Waited.Elapsed.TotalSeconds);
        if (item.IsJob) Interlocked.Increment(ref _runningJobs);
        try { item.Run(); }
        finally { if (item.IsJob) Interlocked.Decrement(ref _runningJobs); }
    }

    private static Action Chain(Action? first, Action second) => first is null ? second : () => { first(); second(); };

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
        while (_interactive.TryDequeue(out var item)) item.Abandon();
        while (_jobs.TryDequeue(out var item)) item.Abandon();
    }

    private sealed class Item(Func<object?> work, CancellationToken ct, bool isJob)
    {
        private object? _result;
        private ExceptionDispatchInfo? _error;
        private readonly TaskCompletionSource<object?> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsJob { get; } = isJob;
        public Stopwatch Waited { get; } = Stopwatch.StartNew();
        public ManualResetEventSlim Done { get; } = new(false);

        public void Run()
        {
            if (ct.IsCancellationRequested)
            {
                _error = ExceptionDispatchInfo.Capture(new OperationCanceledException(ct));
                _tcs.TrySetCanceled(ct);
                Done.Set();
                return;
            }
            try
            {
                _result = work();
                _tcs.TrySetResult(_result);
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
                _tcs.TrySetException(e);
            }
            finally
            {
                Done.Set();
            }
        }

        public void Abandon()
        {
            _error = ExceptionDispatchInfo.Capture(new ObjectDisposedException(nameof(DeviceScheduler), "The engine is shutting down."));
            _tcs.TrySetException(_error.SourceException);
            Done.Set();
        }

        public object? Result()
        {
            _error?.Throw();
            return _result;
        }

        public async Task<T> AsTask<T>() => (T)(await _tcs.Task.ConfigureAwait(false))!;
    }
}

/// <summary>The last N durations (seconds) of something, with percentiles; thread-safe.</summary>
public sealed class LatencyWindow(int capacity)
{
    private readonly Queue<double> _values = new();

    /// <summary>Adds a duration.</summary>
    public void Add(double seconds)
    {
        lock (_values)
        {
            _values.Enqueue(seconds);
            while (_values.Count > capacity) _values.Dequeue();
        }
    }

    /// <summary>How many durations are kept.</summary>
    public int Count { get { lock (_values) return _values.Count; } }

    /// <summary>The <paramref name="p"/>-th percentile (0-100, nearest rank), or null when empty.</summary>
    public double? Percentile(double p)
    {
        lock (_values)
        {
            if (_values.Count == 0) return null;
            var sorted = _values.Order().ToArray();
            int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }

    /// <summary>Forgets every duration.</summary>
    public void Clear() { lock (_values) _values.Clear(); }
}
