using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Nada.Core.Tests.Models;

/// <summary>
/// A tiny HTTP/1.1 file server on 127.0.0.1 (free port) for download tests. Serves byte arrays by path,
/// honours <c>Range: bytes=N-</c>, and can be told per path to answer 404, fail with 503, delay, ignore Range,
/// send a wrong Content-Range, or cut a transfer short. Counts requests and records Range headers.
/// </summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Route> _routes = new();
    private readonly Task _acceptLoop;
    private int _requests;

    public TestHttpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Total requests received (all paths).</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/>; the returned route can be re-configured.</summary>
    public Route Serve(string path, byte[] content)
    {
        var route = new Route { Content = content };
        _routes[path] = route;
        return route;
    }

    /// <summary>Behaviour of one path. Counters are thread-safe.</summary>
    public sealed class Route
    {
        public byte[] Content { get; set; } = [];
        public bool NotFound { get; set; }
        public bool IgnoreRange { get; set; }
        public bool WrongContentRange { get; set; }
        /// <summary>Answer 503 to this many requests first.</summary>
        public int FailFirst { get; set; }
        /// <summary>Close the connection after this many body bytes ...</summary>
        public int? CutAfterBytes { get; set; }
        /// <summary>... on this many responses (then serve normally).</summary>
        public int CutTimes { get; set; } = 1;
        /// <summary>Wait this long before sending the response headers.</summary>
        public TimeSpan Delay { get; set; }

        private int _requests;
        private int _cuts;
        private int _failures;
        public int Requests => Volatile.Read(ref _requests);
        public ConcurrentQueue<string?> RangeHeaders { get; } = new();

        internal int NextRequest() => Interlocked.Increment(ref _requests);
        internal bool TakeCut() => CutAfterBytes is not null && Interlocked.Increment(ref _cuts) <= CutTimes;
        internal bool TakeFailure() => Interlocked.Increment(ref _failures) <= FailFirst;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (path, headers) = await ReadRequestAsync(stream);
                Interlocked.Increment(ref _requests);
                if (!_routes.TryGetValue(path, out var route))
                {
                    await WriteHeadAsync(stream, "404 Not Found", [("Content-Length", "0")]);
                    return;
                }
                route.NextRequest();
                headers.TryGetValue("range", out var range);
                route.RangeHeaders.Enqueue(range);
                if (route.Delay > TimeSpan.Zero) await Task.Delay(route.Delay);
                if (route.NotFound)
                {
                    await WriteHeadAsync(stream, "404 Not Found", [("Content-Length", "0")]);
                    return;
                }
                if (route.TakeFailure())
                {
                    await WriteHeadAsync(stream, "503 Service Unavailable", [("Content-Length", "0")]);
                    return;
                }
                await ServeAsync(stream, route, range, client);
            }
            catch (IOException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static async Task ServeAsync(NetworkStream stream, Route route, string? range, TcpClient client)
    {
        byte[] content = route.Content;
        long start = 0;
        if (range is not null && !route.IgnoreRange && range.StartsWith("bytes=") && range.EndsWith('-'))
            start = long.Parse(range["bytes=".Length..^1]);
        if (start >= content.Length && start > 0)
        {
            await WriteHeadAsync(stream, "416 Range Not Satisfiable", [("Content-Range", $"bytes */{content.Length}"), ("Content-Length", "0")]);
            return;
        }
        long length = content.Length - start;
        if (start > 0)
        {
            long shownStart = route.WrongContentRange ? start + 1 : start;
            await WriteHeadAsync(stream, "206 Partial Content",
                [("Content-Range", $"bytes {shownStart}-{content.Length - 1}/{content.Length}"), ("Content-Length", length.ToString())]);
        }
        else
        {
            await WriteHeadAsync(stream, "200 OK", [("Content-Length", length.ToString()), ("Accept-Ranges", "bytes")]);
        }

        int toSend = (int)length;
        if (route.TakeCut()) toSend = Math.Min(toSend, route.CutAfterBytes!.Value);
        await stream.WriteAsync(content.AsMemory((int)start, toSend));
        await stream.FlushAsync();
        if (toSend < length)
        {
            client.Client.Shutdown(SocketShutdown.Send); // clean close: the client sees the body end early
            client.Client.Close();
        }
    }

    private static async Task<(string Path, Dictionary<string, string> Headers)> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int n = await stream.ReadAsync(one);
            if (n == 0) throw new IOException("client closed before sending a request");
            buffer.Add(one[0]);
            int c = buffer.Count;
            if (c >= 4 && buffer[c - 4] == '\r' && buffer[c - 3] == '\n' && buffer[c - 2] == '\r' && buffer[c - 1] == '\n') break;
        }
        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        string path = lines[0].Split(' ')[1];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        return (path, headers);
    }

    private static async Task WriteHeadAsync(NetworkStream stream, string status, (string Name, string Value)[] headers)
    {
        var sb = new StringBuilder($"HTTP/1.1 {status}\r\n");
        foreach (var (name, value) in headers) sb.Append($"{name}: {value}\r\n");
        sb.Append("Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()));
        await stream.FlushAsync();
    }

    /// <summary>A loopback port with nothing listening (taken and released at once).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _acceptLoop; } catch { }
        _stop.Dispose();
    }
}
