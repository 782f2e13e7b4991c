using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Core.Generators;
using Nada.Core.Tests;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Edits;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// StyleGAN3 in the web app through the API with the real engine (CPU, parity config-T network placed in generators/
/// in our format): a short adaptation lands in the gallery; its samples translate and rotate (and the identity
/// transform samples as without one); a photo inverts on the SG3 base and its latent blends with the SG3 domain; a
/// latent edit from a seed runs.
/// </summary>
public sealed class TorchSg3FlowTests : IAsyncLifetime
{
    private const string Generator = "tiny-sg3t.safetensors";
    private const string Clip = "tiny-clip-vit.pt";
    private NadaAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("torch-sg3");
        using var g = GeneratorLoader.LoadGenerator(ParityFiles.File("nvlabs", "sg3t.pkl"));
        GeneratorLoader.Save(g, Path.Combine(_app.DataDir, "models", "generators", Generator));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        TestPaths.TryDelete(_app.DataDir);
    }

    private static async Task<byte[]> PngAsync(ApiClient c, string url)
    {
        var r = await c.Http.GetAsync(url);
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{url}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return await r.Content.ReadAsByteArrayAsync();
    }

    private static async Task<List<string>> SamplesAsync(ApiClient c, Guid domain, object body)
    {
        var r = await c.Http.PostAsJsonAsync($"/api/domains/{domain}/samples", body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"samples: {r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.GetProperty("png").GetString()!).ToList();
    }

    [Fact]
    public async Task AdaptSampleTransformedInvertBlendAndEditOnStyleGan3()
    {
        using var alice = await _app.NewUserAsync("sg3");
        var adaptId = await alice.SubmitAsync(new SubmitJobDto(Generator, [Clip], "photo", "sketch", 2,
            Options: new AdaptationOptions { SampleEvery = 2, CheckpointEvery = 2, PreviewSamples = 1, AutoLayerK = 4 }));
        var photo = new StyleImageDto("me.png", Convert.ToBase64String(TestImages.Png(40, 48)));
        var invertId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("photo-invert", EditInput.ModelChoice(Generator),
            Photo: photo, Steps: 4, PreviewEvery: 2));
        var editId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("latent-edit", EditInput.ModelChoice(Generator), [Clip],
            "a smiling face", EditSource.Seed, Seed: 3, Steps: 3, PreviewEvery: 1));

        var adapted = await alice.WaitForAsync(adaptId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 180);
        Assert.True(adapted.Status == JobStatus.Succeeded, $"adaptation: {adapted.Status} {adapted.Error}\n{_app.ServerLog}");
        var domain = adapted.DomainId!.Value;

        // Sampling: the identity transform is the plain render; translation and rotation change the images.
        var plain = await SamplesAsync(alice, domain, new { seeds = new[] { 1, 2 } });
        Assert.Equal(plain, await SamplesAsync(alice, domain, new { seeds = new[] { 1, 2 }, translateX = 0.0, translateY = 0.0, rotateDegrees = 0.0 }));
        var moved = await SamplesAsync(alice, domain, new { seeds = new[] { 1, 2 }, translateX = 0.25, translateY = -0.1 });
        var turned = await SamplesAsync(alice, domain, new { seeds = new[] { 1, 2 }, rotateDegrees = 45.0 });
        Assert.NotEqual(plain[0], moved[0]);
        Assert.NotEqual(plain[0], turned[0]);
        Assert.NotEqual(moved[0], turned[0]);
        // The sample files take the same transform from the query (one seed per request: compared with a batch of one,
        // since a batch of two may round differently on the CPU).
        var movedOne = await SamplesAsync(alice, domain, new { seeds = new[] { 1 }, translateX = 0.25, translateY = -0.1 });
        var plainOne = await SamplesAsync(alice, domain, new { seeds = new[] { 1 } });
        Assert.Equal(Convert.FromBase64String(movedOne[0]), await PngAsync(alice, $"/files/domains/{domain}/samples/1?psi=0.7&tx=0.25&ty=-0.1&rot=0"));
        Assert.Equal(Convert.FromBase64String(plainOne[0]), await PngAsync(alice, $"/files/domains/{domain}/samples/1?psi=0.7"));   // restored after
        Assert.NotEqual(movedOne[0], plainOne[0]);

        // A photo inverted on the SG3 base blends with the SG3 domain (alpha 0 = source, 1 = domain).
        var inverted = await alice.WaitForAsync(invertId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 120);
        Assert.True(inverted.Status == JobStatus.Succeeded, $"inversion: {inverted.Status} {inverted.Error}\n{_app.ServerLog}");
        var source = await PngAsync(alice, $"/api/edits/{invertId}/render");
        var onDomain = await PngAsync(alice, $"/api/edits/{invertId}/render?on={domain}");
        Assert.Equal(source, await PngAsync(alice, $"/api/edits/{invertId}/render?alpha=0&domainIds={domain}"));
        Assert.Equal(onDomain, await PngAsync(alice, $"/api/edits/{invertId}/render?alpha=1&domainIds={domain}"));
        Assert.NotEqual(source, onDomain);

        var edited = await alice.WaitForAsync(editId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), timeoutSeconds: 120);
        Assert.True(edited.Status == JobStatus.Succeeded, $"edit: {edited.Status} {edited.Error}\n{_app.ServerLog}");
        var summary = await alice.Http.GetFromJsonAsync<EditSummaryDto>($"/api/edits/{editId}", ApiClient.Json);
        Assert.Equal(["image", "latent", "start", "strip"], summary!.Files.Keys.Order());
        Assert.NotEqual(await PngAsync(alice, summary.Files["start"]), await PngAsync(alice, summary.Files["image"]));
    }
}
