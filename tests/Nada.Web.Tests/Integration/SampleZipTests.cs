using System.IO.Compression;
using System.Net;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// "Download these as a zip" on a domain page: the sampled seeds' PNGs (the same bytes as one sample each) and about.txt,
/// for whoever may see the domain; seed ranges as the CLI takes them, refused with the page's messages.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SampleZipTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task ZipHoldsEverySeedsImage_ForWhoeverMaySeeTheDomain()
    {
        using var owner = await _app.NewUserAsync("zipper");
        using var other = await _app.NewUserAsync("zipwatcher");
        var (_, id) = await owner.DomainAsync("ink wash", iterations: 4);

        var answer = await owner.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=1-3,7&psi=0.5");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("application/zip", answer.Content.Headers.ContentType?.MediaType);
        var fileName = answer.Content.Headers.ContentDisposition?.FileNameStar ?? answer.Content.Headers.ContentDisposition?.FileName;
        Assert.Matches(@"^""?nada-ink-wash-[0-9a-f]{8}-samples\.zip""?$", fileName);
        using var zip = new ZipArchive(new MemoryStream(await answer.Content.ReadAsByteArrayAsync()));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        var prefix = $"nada-ink-wash-{id.ToString("N")[..8]}";
        Assert.Equal([$"{prefix}-seed1.png", $"{prefix}-seed2.png", $"{prefix}-seed3.png", $"{prefix}-seed7.png", "about.txt"], names);
        foreach (var seed in new[] { 1, 2, 3, 7 })
        {
            using var s = zip.GetEntry($"{prefix}-seed{seed}.png")!.Open();
            using var ms = new MemoryStream();
            await s.CopyToAsync(ms);
            Assert.Equal(await owner.Http.GetByteArrayAsync($"/files/domains/{id}/samples/{seed}?psi=0.5"), ms.ToArray());
        }
        using (var about = new StreamReader(zip.GetEntry("about.txt")!.Open()))
        {
            var text = await about.ReadToEndAsync();
            Assert.Contains("-> ink wash", text);
            Assert.Contains("Seeds: 1, 2, 3, 7", text);
            Assert.Contains("Truncation psi: 0.5", text);
        }

        // A seed written twice is one file.
        using (var twice = new ZipArchive(await owner.Http.GetStreamAsync($"/files/domains/{id}/samples.zip?seeds=2,1-2")))
            Assert.Equal([$"{prefix}-seed2.png", $"{prefix}-seed1.png", "about.txt"], twice.Entries.Select(e => e.FullName));

        // Wrong seeds get the page's messages.
        var tooMany = await owner.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=0-20");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("'0-20' makes 21 seeds; at most 8 at once.", await tooMany.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=1&psi=3")).StatusCode);

        // Someone else: 404 (as for a random id) until they hold the share link.
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"/files/domains/{Guid.NewGuid()}/samples.zip?seeds=1")).StatusCode);
        var share = await owner.ShareAsync(id);
        Assert.Equal(HttpStatusCode.OK, (await other.Http.GetAsync($"/files/domains/{id}/samples.zip?seeds=1&share={share}")).StatusCode);
    }
}
