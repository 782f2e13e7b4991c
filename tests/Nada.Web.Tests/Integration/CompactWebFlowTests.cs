using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Domains;
using Nada.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// Compact domains through the API with the real engine on the tiny networks: one job with two targets makes two
/// scored gallery domains; they sample, mix, save as a mix with its recipe, share, and download small and baked.
/// Other users' ids answer 404 like random ones.
/// </summary>
public sealed class CompactWebFlowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private NadaAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("compact-web");
        return Task.CompletedTask;
    }

    private static AdaptationOptions Quick => AdaptationOptions.HyperDomainNetPreset with { BatchSize = 2, SampleEvery = 2, CheckpointEvery = 2, PreviewSamples = 2 };

    private static SubmitJobDto Compact(params string[] targets) =>
        new("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", targets[0], 4, Options: Quick, Kind: DomainKind.Compact, ExtraTargets: targets[1..].ToList());

    [Fact]
    public async Task SubmitChecksKindAndTargets()
    {
        using var alice = await _app.NewUserAsync("alice");
        // Several targets are the engine's rule for compact runs only: refused for a full job, under the targets field.
        var full = await alice.PostJobAsync(Compact("sketch", "painting") with { Kind = DomainKind.Full, Options = null });
        Assert.Equal(HttpStatusCode.BadRequest, full.StatusCode);
        var errors = JsonDocument.Parse(await full.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("compact", errors.GetProperty("Targets")[0].GetString());
        // The web's cap (Limits:MaxTargetsPerJob, 8).
        var many = await alice.PostJobAsync(Compact(Enumerable.Range(1, 9).Select(i => $"style {i}").ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        Assert.Contains("at most 8", await many.Content.ReadAsStringAsync());
        // A duplicate target: the engine's message.
        var twice = await alice.PostJobAsync(Compact("sketch", "sketch"));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("given twice", await twice.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TwoTargets_TwoScoredDomains_Mix_Save_Share_Download()
    {
        using var alice = await _app.NewUserAsync("alice");
        using var bob = await _app.NewUserAsync("bob");
        var jobId = await alice.SubmitAsync(Compact("sketch", "oil painting"));
        var job = await alice.WaitForAsync(jobId, j => j.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled, 300);
        Assert.True(job.Status == JobStatus.Succeeded, $"job ended {job.Status}: {job.Error}\n{_app.ServerLog}");

        var mine = (await alice.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json))!;
        Assert.Equal(2, mine.Count);
        var sketch = Assert.Single(mine, d => d.TargetText == "sketch");
        var paint = Assert.Single(mine, d => d.TargetText == "oil painting");
        foreach (var d in mine)
        {
            Assert.Equal("Compact", d.Kind);
            Assert.Equal(jobId, d.JobId);
            Assert.InRange(d.SizeBytes, 200, 100_000);
            Assert.NotNull(d.Scores);
            Assert.Equal(4, d.Scores!.Samples);          // Evaluation:Samples of the tiny-network host
            Assert.Equal("tiny-clip-vit.pt", d.Scores.Evaluator);
            Assert.True(double.IsFinite(d.Scores.Quality) && double.IsFinite(d.Scores.Diversity) && double.IsFinite(d.Scores.Directional));
        }
        // The job page links every domain the job made, in target order.
        var jobPage = await alice.Http.GetStringAsync($"/jobs/{jobId}");
        Assert.Contains("2 domains, one per target", jobPage);
        var links = System.Text.RegularExpressions.Regex.Matches(jobPage, @"href=""/domains/([0-9a-f-]{36})"" class=""job-domain-link""").Select(m => Guid.Parse(m.Groups[1].Value));
        Assert.Equal([sketch.Id, paint.Id], links);

        var small = await alice.Http.GetByteArrayAsync(sketch.GeneratorUrl);
        Assert.Equal(sketch.SizeBytes, small.Length);

        // The domain page's sampling applies the offsets: unlike the base (strength 0), the same as the mix at strength 1.
        var domainSample = await alice.Http.GetByteArrayAsync($"/files/domains/{sketch.Id}/samples/1?psi=0.7");
        var baseSample = await alice.Http.GetByteArrayAsync($"/files/mix/1?d={sketch.Id}:0&psi=0.7");
        var asMix = await alice.Http.GetByteArrayAsync($"/files/mix/1?d={sketch.Id}:1&d={paint.Id}:0&psi=0.7");
        Assert.NotEqual(baseSample, domainSample);
        Assert.Equal(domainSample, asMix);

        // Renders of a mix over the API.
        var parts = new List<MixPart> { new(sketch.Id, 0.5f), new(paint.Id, 0.75f) };
        var render = await alice.Http.PostAsJsonAsync("/api/mix/samples", new MixRequestDto(parts, [1, 2]), ApiClient.Json);
        Assert.Equal(HttpStatusCode.OK, render.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await render.Content.ReadAsStringAsync()).RootElement.GetArrayLength());

        // Someone else's ids answer as random ones do: 404 for renders, saving and the mix images.
        var foreign = await bob.Http.PostAsJsonAsync("/api/mix", new MixRequestDto(parts, Name: "stolen"), ApiClient.Json);
        var random = await bob.Http.PostAsJsonAsync("/api/mix", new MixRequestDto([new(Guid.NewGuid(), 1f)], Name: "random"), ApiClient.Json);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, random.StatusCode);
        Assert.Equal(await random.Content.ReadAsStringAsync(), await foreign.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsJsonAsync("/api/mix/samples", new MixRequestDto(parts), ApiClient.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/files/mix/1?d={sketch.Id}:1")).StatusCode);
        Assert.Empty((await bob.Http.GetFromJsonAsync<List<DomainDto>>("/api/mix/domains", ApiClient.Json))!);
        // Half of a mix being bob's own does not open alice's half either.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsJsonAsync("/api/mix", new MixRequestDto([new(sketch.Id, 1f)]), ApiClient.Json)).StatusCode);
        // A strength outside the engine's range is a 400 with its message.
        var tooStrong = await alice.Http.PostAsJsonAsync("/api/mix", new MixRequestDto([new(sketch.Id, 9f)]), ApiClient.Json);
        Assert.Equal(HttpStatusCode.BadRequest, tooStrong.StatusCode);
        Assert.Contains("between -5 and 5", await tooStrong.Content.ReadAsStringAsync());

        // Domains of different base generators are not mixed: a clear 400 (a record of alice's on another base model).
        var dbFactory = _app.Services.GetRequiredService<IDbContextFactory<NadaDbContext>>();
        var otherId = Guid.NewGuid();
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var row = await db.Domains.AsNoTracking().SingleAsync(d => d.Id == paint.Id);
            row.Id = otherId;
            row.BaseModel = "another-generator.pt";
            row.ShareToken = null;
            db.Domains.Add(row);
            await db.SaveChangesAsync();
        }
        var mixed = await alice.Http.PostAsJsonAsync("/api/mix", new MixRequestDto([new(sketch.Id, 1f), new(otherId, 1f)]), ApiClient.Json);
        Assert.Equal(HttpStatusCode.BadRequest, mixed.StatusCode);
        Assert.Contains("different base generators", await mixed.Content.ReadAsStringAsync());

        // The CSRF guard covers the mix endpoints: a form post (what a foreign page can send) or another origin is refused, nothing saved.
        int mixable = (await alice.Http.GetFromJsonAsync<List<DomainDto>>("/api/mix/domains", ApiClient.Json))!.Count;
        var form = await alice.Http.PostAsync("/api/mix", new FormUrlEncodedContent(new Dictionary<string, string> { ["parts"] = $"{sketch.Id}:1" }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/mix") { Content = JsonContent.Create(new MixRequestDto([new(sketch.Id, 1f)]), options: ApiClient.Json) })
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await alice.Http.SendAsync(crossSite)).StatusCode);
        }
        Assert.Equal(mixable, (await alice.Http.GetFromJsonAsync<List<DomainDto>>("/api/mix/domains", ApiClient.Json))!.Count);

        // Save: a new compact domain with its recipe, rendering the mix it was saved from.
        var saved = await alice.Http.PostAsJsonAsync("/api/mix", new MixRequestDto(parts, Name: "half sketch, some paint"), ApiClient.Json);
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        var mix = (await saved.Content.ReadFromJsonAsync<DomainDto>(ApiClient.Json))!;
        Assert.Equal("Compact", mix.Kind);
        Assert.Equal("half sketch, some paint", mix.TargetText);
        Assert.NotNull(mix.Recipe);
        Assert.Equal(parts, mix.Recipe!.Parts);
        output.WriteLine($"compact domains: {string.Join(", ", mine.Select(d => d.SizeBytes))} B; saved mix: {mix.SizeBytes} B");
        var mixSample = await alice.Http.GetByteArrayAsync($"/files/domains/{mix.Id}/samples/2?psi=0.7");
        var liveMix = await alice.Http.GetByteArrayAsync($"/files/mix/2?{MixParts.Query(parts)}&psi=0.7");
        AssertPixelsClose(liveMix, mixSample, 1);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/domains/{mix.Id}")).StatusCode);

        // Share the mix; a signed-out client sees it, samples it and downloads the small file and the baked generators.
        var share = await alice.Http.PostAsJsonAsync($"/api/domains/{mix.Id}/share", new { });
        Assert.Equal(HttpStatusCode.OK, share.StatusCode);
        var token = JsonDocument.Parse(await share.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var anonymous = _app.NewClient();
        var shared = (await anonymous.Http.GetFromJsonAsync<DomainDto>($"/api/share/{token}", ApiClient.Json))!;
        Assert.Equal("Compact", shared.Kind);
        Assert.Equal("", shared.Owner);
        Assert.Equal(mix.SizeBytes, (await anonymous.Http.GetByteArrayAsync(shared.GeneratorUrl)).Length);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync($"/files/domains/{mix.Id}/samples/1?share={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/files/domains/{mix.Id}/baked?format=pt")).StatusCode);

        var baked = await anonymous.Http.GetAsync(shared.BakedUrl);
        Assert.Equal(HttpStatusCode.OK, baked.StatusCode);
        var bakedBytes = await baked.Content.ReadAsByteArrayAsync();
        Assert.True(bakedBytes.Length > 20 * mix.SizeBytes, $"baked {bakedBytes.Length} B, compact {mix.SizeBytes} B");
        var pt = await anonymous.Http.GetByteArrayAsync(shared.BakedPtUrl);
        Assert.Equal((byte)'P', pt[0]);   // torch.save's zip
        Assert.Equal((byte)'K', pt[1]);

        // The baked generator renders the mix without offsets (float rounding aside).
        string file = Path.Combine(_app.DataDir, "baked-check.safetensors");
        await File.WriteAllBytesAsync(file, bakedBytes);
        byte[] bakedPng;
        using (var g = GeneratorLoader.LoadGenerator(file))
        using (var scope = NewDisposeScope())
        using (no_grad())
            bakedPng = ImageEncoder.ToPngs(g.Generate(SeedLatents.FromSeeds([2], g.Config.ZDim), 0.7f, NoiseMode.Const))[0];
        AssertPixelsClose(mixSample, bakedPng, 2);
        Assert.NotEqual(await alice.Http.GetByteArrayAsync($"/files/mix/2?d={sketch.Id}:0&psi=0.7"), mixSample);
    }

    [Fact]
    public async Task PhotoLatentTakesCompactDomains()
    {
        using var alice = await _app.NewUserAsync("alice");
        var adaptId = await alice.SubmitAsync(Compact("sketch"));
        var photo = new StyleImageDto("me.png", Convert.ToBase64String(TestImages.Png(40, 48)));
        var invertId = await TorchEditApp.SubmitEditAsync(alice, new SubmitEditDto("photo-invert", Nada.Web.Jobs.Kinds.EditInput.ModelChoice("tiny-stylegan2.pt"),
            Photo: photo, Steps: 3, PreviewEvery: 3));
        var adapted = await alice.WaitForAsync(adaptId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), 300);
        var inverted = await alice.WaitForAsync(invertId, j => j.Status is not (JobStatus.Queued or JobStatus.Running), 300);
        Assert.True(adapted.Status == JobStatus.Succeeded, $"adaptation: {adapted.Status} {adapted.Error}\n{_app.ServerLog}");
        Assert.True(inverted.Status == JobStatus.Succeeded, $"inversion: {inverted.Status} {inverted.Error}\n{_app.ServerLog}");
        var domain = adapted.DomainId!.Value;

        var reconstruction = await alice.Http.GetByteArrayAsync($"/api/edits/{invertId}/render");
        var atZero = await alice.Http.GetByteArrayAsync($"/api/edits/{invertId}/render?alpha=0&domainIds={domain}");
        var atOne = await alice.Http.GetByteArrayAsync($"/api/edits/{invertId}/render?alpha=1&domainIds={domain}");
        Assert.Equal(reconstruction, atZero);          // offsets 0 * d render the base exactly
        Assert.NotEqual(reconstruction, atOne);
        using var bob = await _app.NewUserAsync("bob");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/edits/{invertId}/render?alpha=1&domainIds={domain}")).StatusCode);
    }

    [Fact]
    public async Task FullJobIsScoredAndSizedToo()
    {
        using var alice = await _app.NewUserAsync("alice");
        var jobId = await alice.SubmitAsync(new SubmitJobDto("tiny-stylegan2.pt", ["tiny-clip-vit.pt"], "photo", "sketch", 2,
            Options: new AdaptationOptions { SampleEvery = 2, CheckpointEvery = 2, PreviewSamples = 2 }));
        var job = await alice.WaitForAsync(jobId, j => j.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled, 300);
        Assert.True(job.Status == JobStatus.Succeeded, $"job ended {job.Status}: {job.Error}\n{_app.ServerLog}");
        var d = (await alice.Http.GetFromJsonAsync<DomainDto>($"/api/domains/{job.DomainId}", ApiClient.Json))!;
        Assert.Equal("Full", d.Kind);
        Assert.NotNull(d.Scores);
        Assert.Equal(Nada.Core.Evaluation.EvaluatedKind.Full, d.Scores!.Kind);
        Assert.Null(d.BakedUrl);
        Assert.Equal(d.SizeBytes, (await alice.Http.GetByteArrayAsync(d.GeneratorUrl)).Length);
        Assert.True(d.SizeBytes > 100_000, $"full domain {d.SizeBytes} B");
        output.WriteLine($"full domain on the tiny network: {d.SizeBytes} B");
    }

    /// <summary>Same size, every channel within <paramref name="tolerance"/> of 255.</summary>
    private static void AssertPixelsClose(byte[] expectedPng, byte[] actualPng, int tolerance)
    {
        var (a, w, h) = ImageEncoder.DecodePng(expectedPng);
        var (b, w2, h2) = ImageEncoder.DecodePng(actualPng);
        Assert.Equal((w, h), (w2, h2));
        int worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        Assert.True(worst <= tolerance, $"largest channel difference {worst} > {tolerance}");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        TestPaths.TryDelete(_app.DataDir);
    }
}
