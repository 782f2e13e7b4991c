using System.Net;
using System.Net.Http.Json;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Sampling with StyleGAN3's translation and rotation over the API and the sample files, on a domain that is not
/// StyleGAN3 (the fake engine's): the identity transform samples as before, any other is refused with a message
/// saying why, and values out of range are named. (The StyleGAN3 path runs in Sg3BrowserTests with the real engine.)
/// </summary>
public sealed class SampleTransformTests : IAsyncLifetime
{
    private NadaAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = new NadaAppFactory();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TransformsAreRefusedForOtherFamiliesAndCheckedForRange()
    {
        using var user = await _app.NewUserAsync("transform");
        var job = await user.SubmitAsync(ApiClient.Job(iterations: 2));
        var domain = (await user.WaitForStatusAsync(job, JobStatus.Succeeded)).DomainId;

        var plain = await user.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { 1 } });
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var identity = await user.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { 1 }, translateX = 0.0, rotateDegrees = 0.0 });
        Assert.Equal(HttpStatusCode.OK, identity.StatusCode);
        Assert.Equal(await plain.Content.ReadAsStringAsync(), await identity.Content.ReadAsStringAsync());

        var moved = await user.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { 1 }, translateX = 0.1 });
        Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
        Assert.Contains("need a StyleGAN3 domain", await moved.Content.ReadAsStringAsync());
        var far = await user.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { 1 }, translateY = 3.0 });
        Assert.Equal(HttpStatusCode.BadRequest, far.StatusCode);
        Assert.Contains("Translation (0, 3) must be between -1 and 1", await far.Content.ReadAsStringAsync());
        var spun = await user.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", new { seeds = new[] { 1 }, rotateDegrees = 400.0 });
        Assert.Contains("Rotation 400 must be between -180 and 180", await spun.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync($"/files/domains/{domain}/samples/1?psi=0.7&tx=0&ty=0&rot=0")).StatusCode);
        var file = await user.Http.GetAsync($"/files/domains/{domain}/samples/1?psi=0.7&tx=0.25&ty=0&rot=45");
        Assert.Equal(HttpStatusCode.BadRequest, file.StatusCode);
        Assert.Contains("StyleGAN3", await file.Content.ReadAsStringAsync());
    }
}
