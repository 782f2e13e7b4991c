using System.Net;
using System.Net.Http.Json;
using Nada.Web.Api;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Explore: an owner makes a domain public; every user and anonymous visitors see it (prompts, no owner email) in
/// /api/explore, on /explore and on the home page, and open it through its share link; taking it out, revoking the link
/// or deleting the domain removes it; nobody else can publish it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ExploreTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    private static async Task<List<ExploreDto>> ExploreAsync(ApiClient c) =>
        (await c.Http.GetFromJsonAsync<List<ExploreDto>>("/api/explore", ApiClient.Json))!;

    [Fact]
    public async Task OwnerPublishes_EveryoneSeesIt_UnpublishRevokeAndDeleteTakeItOut()
    {
        using var owner = await _app.NewUserAsync("explorer");
        using var other = await _app.NewUserAsync("visitor");
        using var anonymous = _app.NewClient();
        string target = $"watercolor {Guid.NewGuid():N}"[..22];
        var (_, domainId) = await owner.DomainAsync(target, iterations: 4);
        Assert.DoesNotContain(await ExploreAsync(anonymous), e => e.Domain.Id == domainId);   // private by default

        // Nobody but the owner may publish it: the same 404 as a random id.
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.PostAsJsonAsync($"/api/domains/{domainId}/public", new { @public = true })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.PostAsJsonAsync($"/api/domains/{Guid.NewGuid()}/public", new { @public = true })).StatusCode);
        Assert.DoesNotContain(await ExploreAsync(anonymous), e => e.Domain.Id == domainId);

        // Published: seen by another user and by anonymous visitors, with its prompts and without the owner's email.
        Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsJsonAsync($"/api/domains/{domainId}/public", new { @public = true })).StatusCode);
        foreach (var viewer in new[] { other, anonymous })
        {
            var entry = Assert.Single(await ExploreAsync(viewer), e => e.Domain.Id == domainId);
            Assert.Equal(target, entry.Domain.TargetText);
            Assert.Equal("", entry.Domain.Owner);
            Assert.Equal(HttpStatusCode.OK, (await viewer.Http.GetAsync(entry.Domain.ThumbnailUrl)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await viewer.Http.GetAsync(entry.Url)).StatusCode);
        }
        var home = await anonymous.Http.GetStringAsync("/");
        Assert.Contains(target, home);
        Assert.Contains(target, await other.Http.GetStringAsync("/explore"));

        // Taken out: gone from Explore and the home page; the share link itself still works.
        var url = Assert.Single(await ExploreAsync(anonymous), e => e.Domain.Id == domainId).Url;
        Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsJsonAsync($"/api/domains/{domainId}/public", new { @public = false })).StatusCode);
        Assert.DoesNotContain(await ExploreAsync(anonymous), e => e.Domain.Id == domainId);
        Assert.DoesNotContain(target, await anonymous.Http.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/api/share/" + url["/s/".Length..])).StatusCode);

        // Public again, then the link is revoked: no link, not public.
        await owner.Http.PostAsJsonAsync($"/api/domains/{domainId}/public", new { @public = true });
        Assert.Contains(await ExploreAsync(anonymous), e => e.Domain.Id == domainId);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/domains/{domainId}/share")).StatusCode);
        Assert.DoesNotContain(await ExploreAsync(anonymous), e => e.Domain.Id == domainId);

        // Public again, then deleted: gone.
        await owner.Http.PostAsJsonAsync($"/api/domains/{domainId}/public", new { @public = true });
        Assert.Contains(await ExploreAsync(other), e => e.Domain.Id == domainId);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/domains/{domainId}")).StatusCode);
        Assert.DoesNotContain(await ExploreAsync(other), e => e.Domain.Id == domainId);
    }
}
