using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>
/// The warnings and errors a test host logged, with their exceptions, kept in memory so that a failed assertion can
/// show what the server said (a job's "reference abc123" names a log line nobody could read otherwise).
/// </summary>
public sealed class ServerLog : ILoggerProvider
{
    private const int MaxLines = 200;
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Every kept line, oldest first.</summary>
    public override string ToString() => _lines.IsEmpty ? "(the server logged no warnings or errors)" : string.Join('\n', _lines);

    public void Dispose() { }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines) _lines.TryDequeue(out _);
    }

    private sealed class Logger(ServerLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            log.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
        }
    }
}
