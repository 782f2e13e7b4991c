using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>One app (default test settings) shared by the security tests that need nothing special.</summary>
public sealed class SecurityApp : IDisposable
{
    public NadaAppFactory App { get; } = new();

    public void Dispose() => App.Dispose();

    /// <summary>A finished job of <paramref name="owner"/> and its domain.</summary>
    public static async Task<(Guid JobId, Guid DomainId)> DomainAsync(ApiClient owner, string target = "pencil sketch")
    {
        var job = await owner.SubmitAsync(ApiClient.Job(iterations: 3, target: target));
        var done = await owner.WaitForStatusAsync(job, JobStatus.Succeeded);
        return (job, done.DomainId!.Value);
    }

    /// <summary>Whether the domain has a live share link, as its owner sees it.</summary>
    public static async Task<bool> SharedAsync(ApiClient owner, Guid domainId) =>
        (await owner.Http.GetFromJsonAsync<JsonElement>($"/api/domains/{domainId}", ApiClient.Json)).GetProperty("shared").GetBoolean();

    /// <summary>Shares the domain through the API (as its owner's own pages would) and returns the token.</summary>
    public static async Task<string> ShareAsync(ApiClient owner, Guid domainId)
    {
        var r = await owner.Http.PostAsync($"/api/domains/{domainId}/share", null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }
}

[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<SecurityApp>
{
    public const string Name = "security";
}
