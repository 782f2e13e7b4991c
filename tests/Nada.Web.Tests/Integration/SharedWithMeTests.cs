using System.Net;
using System.Net.Http.Json;
using Nada.Web.Api;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// "Shared with me": a share link opened by a signed-in user (page or API) puts the domain on their list, in the gallery
/// and on the compare page; never on the owner's or on anyone's who did not open it; revoking the link, deleting the
/// domain or removing it from the list takes it off, and a new link has to be opened again.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SharedWithMeTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    private static async Task<List<SharedWithMeDto>> SharedAsync(ApiClient c) =>
        (await c.Http.GetFromJsonAsync<List<SharedWithMeDto>>("/api/domains/shared-with-me", ApiClient.Json))!;

    [Fact]
    public async Task OpenedLinksAreListed_WhileTheyWork()
    {
        using var owner = await _app.NewUserAsync("sharer");
        using var friend = await _app.NewUserAsync("friend");
        using var stranger = await _app.NewUserAsync("stranger");
        using var anonymous = _app.NewClient();
        string target = $"linocut {Guid.NewGuid():N}"[..20];
        var (_, id) = await owner.DomainAsync(target, iterations: 4);
        var token = await owner.ShareAsync(id);
        Assert.Empty(await SharedAsync(friend));

        // The friend opens the link's page signed in: it is on their list (no owner email), in their gallery and on compare.
        Assert.Contains("Shared with me", await friend.Http.GetStringAsync($"/s/{token}"));
        var entry = Assert.Single(await SharedAsync(friend));
        Assert.Equal(id, entry.Domain.Id);
        Assert.Equal($"/s/{token}", entry.Url);
        Assert.Equal("", entry.Domain.Owner);
        Assert.Equal(HttpStatusCode.OK, (await friend.Http.GetAsync(entry.Domain.ThumbnailUrl)).StatusCode);
        var gallery = await friend.Http.GetStringAsync("/gallery");
        Assert.Contains(target, gallery);
        Assert.Contains($"/s/{token}", gallery);
        var compare = await friend.Http.GetStringAsync($"/compare?d={id}");
        Assert.Contains($"{target} (", compare);
        Assert.Contains("shared with me", compare);
        Assert.Contains($"/files/domains/{id}/samples/1?share={token}", compare);
        Assert.Equal(HttpStatusCode.OK, (await friend.Http.GetAsync($"/files/domains/{id}/samples/1?share={token}")).StatusCode);

        // Not the owner's list, not a stranger's, and an anonymous visitor leaves nothing behind.
        Assert.Equal(HttpStatusCode.OK, (await owner.Http.GetAsync($"/api/share/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync($"/api/share/{token}")).StatusCode);
        Assert.Empty(await SharedAsync(owner));
        Assert.Empty(await SharedAsync(stranger));
        Assert.DoesNotContain(target, await stranger.Http.GetStringAsync("/gallery"));
        Assert.DoesNotContain(target, await stranger.Http.GetStringAsync("/compare"));

        // Revoked: off the list at once; a new link is not the old one: it must be opened again (here through the API).
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/domains/{id}/share")).StatusCode);
        Assert.Empty(await SharedAsync(friend));
        Assert.DoesNotContain(target, await friend.Http.GetStringAsync("/gallery"));
        var second = await owner.ShareAsync(id);
        Assert.NotEqual(token, second);
        Assert.Empty(await SharedAsync(friend));
        Assert.Equal(HttpStatusCode.OK, (await friend.Http.GetAsync($"/api/share/{second}")).StatusCode);
        Assert.Equal($"/s/{second}", Assert.Single(await SharedAsync(friend)).Url);

        // Removed from the list by its viewer: gone (the link still works), a second removal finds nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await friend.DeleteAsync($"/api/domains/shared-with-me/{id}")).StatusCode);
        Assert.Empty(await SharedAsync(friend));
        Assert.Equal(HttpStatusCode.NotFound, (await friend.DeleteAsync($"/api/domains/shared-with-me/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await friend.Http.GetAsync($"/api/share/{second}")).StatusCode);
        Assert.Single(await SharedAsync(friend));

        // Deleted by its owner: gone from every list.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/domains/{id}")).StatusCode);
        Assert.Empty(await SharedAsync(friend));
        Assert.DoesNotContain(target, await friend.Http.GetStringAsync("/gallery"));
    }
}
