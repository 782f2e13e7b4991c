using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace Nada.Web.Hosting;

/// <summary>
/// Hangfire's log provider is process-wide (static). This one logs through this host's logger factory but never
/// throws once that factory is disposed (a stopped host in the same process, as in the tests): it then drops messages.
/// </summary>
public sealed class HostSafeLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try { return new SafeLog(_inner.GetLogger(name)); }
        catch (ObjectDisposedException) { return new SafeLog(null); }
    }

    private sealed class SafeLog(ILog? inner) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            if (inner is null) return false;
            try { return inner.Log(logLevel, messageFunc, exception); }
            catch (ObjectDisposedException) { return false; }
        }
    }
}
