using System.Net;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Compare: the base generator's image of a seed beside the domain's, visible exactly where the domain is (owner, its
/// share link or Explore); the compare page lays out a base row and a row per ticked domain.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CompareTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task BaseSamplesBesideTheDomain_ForWhoeverMaySeeIt()
    {
        using var owner = await _app.NewUserAsync("comparer");
        using var other = await _app.NewUserAsync("onlooker");
        var (_, id) = await owner.DomainAsync("charcoal drawing", iterations: 4);

        var baseImage = await owner.Http.GetAsync($"/files/domains/{id}/base-samples/3");
        var domainImage = await owner.Http.GetAsync($"/files/domains/{id}/samples/3");
        Assert.Equal(HttpStatusCode.OK, baseImage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, domainImage.StatusCode);
        Assert.Equal("image/png", baseImage.Content.Headers.ContentType?.MediaType);
        var basePng = await baseImage.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(basePng, await domainImage.Content.ReadAsByteArrayAsync());          // the domain changed it
        Assert.Equal(basePng, await owner.Http.GetByteArrayAsync($"/files/domains/{id}/base-samples/3"));   // same seed, same image

        // Someone else: the same 404 as a random id, until the owner shares it.
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"/files/domains/{id}/base-samples/3")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"/files/domains/{Guid.NewGuid()}/base-samples/3")).StatusCode);
        var share = await owner.ShareAsync(id);
        Assert.Equal(HttpStatusCode.OK, (await other.Http.GetAsync($"/files/domains/{id}/base-samples/3?share={share}")).StatusCode);

        // The page: a base row and the domain's row, one image per seed of the range.
        var page = await owner.Http.GetStringAsync($"/compare?d={id}");
        Assert.Contains("id=\"compare-grid\"", page);
        foreach (var seed in new[] { 1, 2, 3, 4 })
        {
            Assert.Contains($"/files/domains/{id}/base-samples/{seed}", page);
            Assert.Contains($"/files/domains/{id}/samples/{seed}", page);
        }
        // Another user's private domain cannot be put on their page by its id.
        var theirs = await other.Http.GetStringAsync($"/compare?d={Guid.NewGuid()}");
        Assert.DoesNotContain("base-samples", theirs);
    }
}
