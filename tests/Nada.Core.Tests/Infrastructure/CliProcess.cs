using System.Diagnostics;
using Nada.Cli.Commands;

namespace Nada.Core.Tests.Infrastructure;

/// <summary>
/// Runs the built <c>nada</c> CLI as a child process (a fresh process, not the test host): its output lines each
/// with the time since the process was started.
/// </summary>
public static class CliProcess
{
    /// <summary>One output line and when it arrived.</summary>
    public sealed record Line(TimeSpan At, string Text);

    /// <summary>A finished run.</summary>
    public sealed record Result(int Exit, IReadOnlyList<Line> Lines, TimeSpan Elapsed)
    {
        /// <summary>All output, stdout and stderr interleaved as received.</summary>
        public string Output => string.Join('\n', Lines.Select(l => l.Text));

        /// <summary>When the first line starting with <paramref name="prefix"/> arrived; throws naming the output when none did.</summary>
        public TimeSpan FirstLine(string prefix) =>
            Lines.FirstOrDefault(l => l.Text.StartsWith(prefix, StringComparison.Ordinal))?.At
            ?? throw new Xunit.Sdk.XunitException($"no line starting with '{prefix}' in:\n{Output}");
    }

    /// <summary>Runs <c>dotnet nada.dll ARGS</c> to its end (or <paramref name="timeout"/>, then kills it and throws).</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        string nadaDll = Path.Combine(Path.GetDirectoryName(typeof(ModelsCommand).Assembly.Location)!, "nada.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(nadaDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var lines = new List<Line>();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(new Line(clock.Elapsed, e.Data));
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"nada {string.Join(' ', args)} did not finish in {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds} s; output so far:\n{string.Join('\n', lines.Select(l => l.Text))}");
        }
        process.WaitForExit();   // drains the asynchronous readers
        lock (lines) return new Result(process.ExitCode, lines.ToList(), clock.Elapsed);
    }
}

/// <summary>
/// Busy-loop processes (<c>while :; do :; done</c>) that load every CPU. Two settings: <see cref="LoadSession.Same"/>
/// (children of the test, in its session: each loop competes with each of our threads, the harshest case) and
/// <see cref="LoadSession.Own"/> (all loops in one session of their own, as another user's or terminal's job is:
/// where the kernel shares the CPU between sessions (autogroup), that session gets its share as a whole).
/// Killed on dispose.
/// </summary>
public sealed class BusyLoops : IDisposable
{
    private readonly Process _shell;

    /// <summary>Where the loops run, scheduling-wise.</summary>
    public enum LoadSession
    {
        /// <summary>In the test's own session.</summary>
        Same,
        /// <summary>In a new session of their own (<c>setsid</c>).</summary>
        Own,
    }

    /// <summary>Starts <paramref name="perCore"/> loops per CPU this process may use.</summary>
    public BusyLoops(int perCore, LoadSession session)
    {
        Count = perCore * Environment.ProcessorCount;
        string script = $"i=0; while [ $i -lt {Count} ]; do (while :; do :; done) & i=$((i+1)); done; wait";
        var info = session == LoadSession.Own
            ? new ProcessStartInfo("setsid") { ArgumentList = { "/bin/sh", "-c", script } }
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script } };
        _shell = Process.Start(info)!;
        // Wait until every loop runs, so measurements start under the full load.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Children() < Count && DateTime.UtcNow < deadline) Thread.Sleep(20);
    }

    /// <summary>How many loops run.</summary>
    public int Count { get; }

    private int Children()
    {
        try
        {
            return File.ReadAllText($"/proc/{_shell.Id}/task/{_shell.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        }
        catch (IOException) { return Count; }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try { _shell.Kill(entireProcessTree: true); _shell.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _shell.Dispose();
    }
}
