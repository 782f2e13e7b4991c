using System.Net.Http.Json;
using System.Text.Json;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>One app (default test settings) shared by the security tests that need nothing special.</summary>
public sealed class SecurityApp : IDisposable
{
    public NadaAppFactory App { get; } = new();

    public void Dispose() => App.Dispose();

    /// <summary>Whether the domain has a live share link, as its owner sees it.</summary>
    public static async Task<bool> SharedAsync(ApiClient owner, Guid domainId) =>
        (await owner.Http.GetFromJsonAsync<JsonElement>($"/api/domains/{domainId}", ApiClient.Json)).GetProperty("shared").GetBoolean();
}

[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<SecurityApp>
{
    public const string Name = "security";
}
