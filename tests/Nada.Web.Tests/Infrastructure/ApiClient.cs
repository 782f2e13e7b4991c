using System.Net;
using System.Net.Http.Json;
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

    public ApiClient(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        Cookies = new CookieContainer();
        Http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
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
            last = await GetJobAsync(id);
            if (last is not null && done(last)) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Job {id} did not reach the wanted state in {timeoutSeconds} s; last: {last?.Status} step {last?.Step}");
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
