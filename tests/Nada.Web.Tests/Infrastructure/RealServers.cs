using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>Helpers for the real servers the several-boxes tests start (Debian's packages in the test userland).</summary>
internal static class RealServers
{
    /// <summary>A free loopback TCP port.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Runs a program to its end; throws with its output when it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {err} {stdout.Result}");
        return stdout.Result;
    }

    /// <summary>True when this process runs as root (then the database server runs as the "postgres" user).</summary>
    public static bool IsRoot => Environment.UserName == "root";
}

/// <summary>
/// A PostgreSQL server of its own: <c>initdb</c> in a temporary folder, <c>pg_ctl</c> on a free port (loopback only,
/// trust authentication), stopped and removed on dispose. Needs Debian's postgresql package (the test userland has it).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;

    private PostgresServer(string bin, string dir, int port)
    {
        (_bin, _dir, Port) = (bin, dir, port);
    }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>Creates and starts a server.</summary>
    public static PostgresServer Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run the tests through scripts/test.sh, whose userland has Debian's postgresql package.");
        var dir = Path.Combine(Path.GetTempPath(), "nada-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        if (RealServers.IsRoot) RealServers.Run("chown", "postgres:postgres", dir);
        var server = new PostgresServer(bin, dir, RealServers.FreePort());
        server.AsServerUser("initdb", "-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        server.StartServer();
        return server;
    }

    /// <summary>A connection string to <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5;Command Timeout=30";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public string CreateDatabase(string name)
    {
        using var c = new NpgsqlConnection(ConnectionString());
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
        cmd.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>Starts the (stopped) server again on the same port and data.</summary>
    public void StartServer() =>
        AsServerUser("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200", "start");

    /// <summary>Stops the server at once (like a crash of the database).</summary>
    public void Stop() => AsServerUser("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");

    private void AsServerUser(string program, params string[] args)
    {
        var path = Path.Combine(_bin, program);
        if (RealServers.IsRoot) RealServers.Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else RealServers.Run(path, args);
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        TestPaths.TryDelete(_dir);
    }
}

/// <summary>A Redis server of its own on a free port (no persistence), which can be stopped and started again.</summary>
public sealed class RedisServer : IDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string.</summary>
    public string Configuration => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000";

    /// <summary>Starts a server.</summary>
    public static RedisServer Start()
    {
        if (!File.Exists("/usr/bin/redis-server"))
            throw new InvalidOperationException("redis-server is not installed: run the tests through scripts/test.sh, whose userland has Debian's redis-server package.");
        var server = new RedisServer(RealServers.FreePort());
        server.StartServer();
        return server;
    }

    /// <summary>Starts the (stopped) server again on the same port.</summary>
    public void StartServer()
    {
        var info = new ProcessStartInfo("/usr/bin/redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
            info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var tcp = new TcpClient();
                tcp.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new TimeoutException($"redis-server did not listen on {Port}");
    }

    /// <summary>Stops the server (SIGKILL).</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        _process.WaitForExit(5000);
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }
}
