using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Progress;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>An HTTP client with its own cookie jar, and the app's API as methods.</summary>
public sealed class ApiClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <param name="baseAddress">The app.</param>
    /// <param name="localAddress">
    /// The loopback address this client connects from (e.g. 127.0.0.2): another client address for the app's per-client
    /// limits. Null: the system's choice (127.0.0.1).
    /// </param>
    public ApiClient(Uri baseAddress, IPAddress? localAddress = null)
    {
        BaseAddress = baseAddress;
        Cookies = new CookieContainer();
        var sockets = new SocketsHttpHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false };
        if (localAddress is not null)
            sockets.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(localAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        Http = new HttpClient(new WellBehavedClient(this) { InnerHandler = sockets })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>
    /// What the app asks of a script (see Security/CsrfGuard): a state-changing /api request without a body sends
    /// <c>{}</c> as JSON, and an upload sends the antiforgery token of GET /api/auth/antiforgery in its header. The
    /// tests of that rule use a plain HttpClient.
    /// </summary>
    private sealed class WellBehavedClient(ApiClient owner) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            bool api = request.RequestUri is { } u && (u.IsAbsoluteUri ? u.AbsolutePath : u.OriginalString).StartsWith("/api/");
            bool unsafeMethod = request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && request.Method != HttpMethod.Options;
            if (api && unsafeMethod)
            {
                if (request.Content is null)
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                else if (request.Content is MultipartContent)
                {
                    var token = await base.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(owner.BaseAddress, "/api/auth/antiforgery")), ct);
                    token.EnsureSuccessStatusCode();
                    var body = JsonDocument.Parse(await token.Content.ReadAsStringAsync(ct)).RootElement;
                    request.Headers.Add(body.GetProperty("header").GetString()!, body.GetProperty("token").GetString());
                }
            }
            return await base.SendAsync(request, ct);
        }
    }

    public Uri BaseAddress { get; }

    /// <summary>The email this client signed in with, once it has.</summary>
    public string? Email { get; private set; }
    public CookieContainer Cookies { get; }
    public HttpClient Http { get; }

    public async Task RegisterAndLoginAsync(string email, string password)
    {
        var r = await Http.PostAsJsonAsync("/api/auth/register", new { email, password });
        Assert.True(r.IsSuccessStatusCode, $"register: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        await LoginAsync(email, password);
    }

    public async Task LoginAsync(string email, string password)
    {
        var r = await Http.PostAsJsonAsync("/api/auth/login", new { email, password });
        Assert.True(r.IsSuccessStatusCode, $"login: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        Email = email;
    }

    /// <summary>A valid submission with the fake catalog's models.</summary>
    public static SubmitJobDto Job(int iterations = 12, string target = "pencil sketch", List<StyleImageDto>? images = null) =>
        new("fake-ffhq-256.pkl", ["fake-clip-vit-b32.pt"], "photo", target, iterations, null, images);

    public Task<HttpResponseMessage> PostJobAsync(SubmitJobDto dto) => Http.PostAsJsonAsync("/api/jobs", dto);

    public async Task<Guid> SubmitAsync(SubmitJobDto dto)
    {
        var r = await PostJobAsync(dto);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"submit: {r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public async Task<JobProgressDto?> GetJobAsync(Guid id)
    {
        var r = await Http.GetAsync($"/api/jobs/{id}");
        if (r.StatusCode == HttpStatusCode.NotFound) return null;
        r.EnsureSuccessStatusCode();
        return await r.Content.ReadFromJsonAsync<JobProgressDto>(Json);
    }

    /// <summary>Polls until the job reaches a status matching <paramref name="done"/>.</summary>
    public async Task<JobProgressDto> WaitForAsync(Guid id, Func<JobProgressDto, bool> done, int timeoutSeconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JobProgressDto? last = null;
        while (DateTime.UtcNow < until)
        {
            try
            {
                last = await GetJobAsync(id);
                if (last is not null && done(last)) return last;
            }
            catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                // The site's database is coming back (the multi-box outage test): ask again.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Job {id} did not reach the wanted state in {timeoutSeconds} s; last: {last?.Status} step {last?.Step}");
    }

    /// <summary>A finished job of mine (the fake engine's models) and the domain it made.</summary>
    public async Task<(Guid JobId, Guid DomainId)> DomainAsync(string target = "pencil sketch", int iterations = 3)
    {
        var job = await SubmitAsync(Job(iterations, target));
        var done = await WaitForStatusAsync(job, JobStatus.Succeeded);
        return (job, done.DomainId!.Value);
    }

    /// <summary>DELETE with a JSON body, as a page's script sends it (the CSRF guard wants JSON or a token under /api).</summary>
    public Task<HttpResponseMessage> DeleteAsync(string url) =>
        Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, url) { Content = JsonContent.Create(new { }) });

    /// <summary>Makes (or returns) the share token of one of my domains.</summary>
    public async Task<string> ShareAsync(Guid domainId)
    {
        var r = await Http.PostAsJsonAsync($"/api/domains/{domainId}/share", new { });
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"share: {r.StatusCode}");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    public Task<JobProgressDto> WaitForStatusAsync(Guid id, JobStatus status, int timeoutSeconds = 30) =>
        WaitForAsync(id, j => j.Status == status, timeoutSeconds);

    /// <summary>A SignalR connection to /hubs/progress carrying this client's cookies (and a share token, if given).</summary>
    public HubConnection Hub(string? shareToken = null)
    {
        var url = new Uri(BaseAddress, "/hubs/progress" + (shareToken is null ? "" : $"?share={Uri.EscapeDataString(shareToken)}"));
        return new HubConnectionBuilder()
            .WithUrl(url, o => o.Cookies = Cookies)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
    }

    public void Dispose() => Http.Dispose();
}
