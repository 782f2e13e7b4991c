using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>
/// The real app as its own process (<c>dotnet Nada.Web.dll</c>, as <c>scripts/run.sh</c> starts it), on a free
/// loopback port, with settings as environment variables: for tests that kill it with SIGKILL and start it again.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, Uri baseAddress, DateTimeOffset startedAt)
    {
        _process = process;
        BaseAddress = baseAddress;
        StartedAt = startedAt;
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseAddress { get; }

    /// <summary>When the process was started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Its output so far (for failure messages).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Starts the app on <paramref name="dataDir"/> with the given settings (keys as in appsettings, "Jobs:Storage") and waits until it answers.</summary>
    public static async Task<ServerProcess> StartAsync(string dataDir, IDictionary<string, string>? settings = null, TimeSpan? timeout = null)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop(); }
        string bin = AppContext.BaseDirectory;
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = bin,
        };
        info.ArgumentList.Add(Path.Combine(bin, "Nada.Web.dll"));
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Nada__DataDir"] = dataDir,
            ["Nada__ModelsDir"] = Path.Combine(dataDir, "models"),
            ["Admin__Email"] = NadaAppFactory.AdminEmail,
            ["Admin__Password"] = NadaAppFactory.AdminPassword,
            ["Jobs__HeartbeatSeconds"] = "0.5",
            ["Jobs__SweepSeconds"] = "0.5",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Nada"] = "Information",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) env[k.Replace(":", "__")] = v;
        foreach (var (k, v) in env) info.Environment[k] = v;
        var started = DateTimeOffset.UtcNow;
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"), started);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited with {process.ExitCode}:\n{server.Log}");
            try
            {
                if ((await http.GetAsync(new Uri(server.BaseAddress, "/health/live"))).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        server.Kill();
        throw new TimeoutException($"The app did not answer on {server.BaseAddress} in time:\n{server.Log}");
    }

    /// <summary>The process's resident set now (VmRSS), in bytes; null when unknown.</summary>
    public long? RssBytes
    {
        get
        {
            try
            {
                var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return line is null ? null : long.Parse(line[6..].Trim().Split(' ')[0]) * 1024;
            }
            catch (IOException) { return null; }
        }
    }

    /// <summary>A client of this server.</summary>
    public ApiClient NewClient() => new(BaseAddress);

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);   // SIGKILL on Unix
        _process.WaitForExit(10_000);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
