using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Web.Api;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>Bad input and probing: each gets a clear message or a 401/403/404, never a job.</summary>
[Collection(AppCollection.Name)]
public sealed class AbuseTests(AppFixture fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    public static TheoryData<string, string, int, string, string> BadForms => new()
    {
        { "photo", "", 10, "TargetText", "The target text is empty" },
        { "", "sketch", 10, "SourceText", "The source text is empty" },
        { "photo", new string('x', 201), 10, "TargetText", "201 characters; at most 200" },
        { new string('y', 500), "sketch", 10, "SourceText", "500 characters; at most 200" },
        { "Photo", " photo ", 10, "TargetText", "are the same to CLIP" },
        { "photo", "sketch", 0, "Iterations", "between 1 and 2000" },
        { "photo", "sketch", 99999, "Iterations", "between 1 and 2000" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task BadPrompts_AreRefusedWithAMessage(string source, string target, int iterations, string field, string message)
    {
        using var user = await _app.NewUserAsync("bad");
        var r = await user.PostJobAsync(new SubmitJobDto("fake-ffhq-256.pkl", ["fake-clip-vit-b32.pt"], source, target, iterations));
        await AssertFieldError(r, field, message);
        Assert.Empty(await user.Http.GetFromJsonAsync<List<JobSummaryDto>>("/api/jobs", ApiClient.Json) ?? []);
    }

    [Fact]
    public async Task UnknownModels_AndPathTricks_AreRefused()
    {
        using var user = await _app.NewUserAsync("models");
        var r = await user.PostJobAsync(ApiClient.Job() with { Generator = "../../nada.db" });
        await AssertFieldError(r, "Generator", "Unknown base generator");
        r = await user.PostJobAsync(ApiClient.Job() with { ClipModels = ["/etc/passwd"] });
        await AssertFieldError(r, "ClipModels", "Unknown CLIP model");
        r = await user.PostJobAsync(ApiClient.Job() with { ClipModels = [] });
        await AssertFieldError(r, "ClipModels", "at least one CLIP model");
    }

    [Fact]
    public async Task GreedyOrBrokenAdvancedOptions_AreRefused()
    {
        using var user = await _app.NewUserAsync("options");
        await AssertFieldError(await user.PostJobAsync(ApiClient.Job() with { Options = new AdaptationOptions { BatchSize = 64 } }),
            "Options.BatchSize", "Batch size 64 is too large for the shared GPU; at most 8");
        await AssertFieldError(await user.PostJobAsync(ApiClient.Job() with { Options = new AdaptationOptions { LambdaDirection = 0 } }),
            "Options.LambdaDirection", "All loss weights are zero");
        await AssertFieldError(await user.PostJobAsync(ApiClient.Job() with { Options = new AdaptationOptions { Mixing = 2 } }),
            "Options.Mixing", "Mixing probability must be between 0 and 1");
        // Numbers the engine cannot use: infinity (1e39 parses as one), unknown enum values.
        var body = "{\"generator\":\"fake-ffhq-256.pkl\",\"clipModels\":[\"fake-clip-vit-b32.pt\"],\"sourceText\":\"photo\",\"targetText\":\"sketch\",\"iterations\":10," +
                   "\"options\":{\"learningRate\":1e39,\"lambdaGlobal\":1e39,\"phase\":99,\"trainNoise\":42}}";
        var r = await user.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertFieldError(r, "Options.LearningRate", "Learning rate must be above 0");
        r = await user.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertFieldError(r, "Options.Phase", "Unknown phase 99");
        r = await user.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertFieldError(r, "Options.TrainNoise", "Unknown training noise 42");
        r = await user.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertFieldError(r, "Options.LambdaGlobal", "Loss weights must be between 0 and");
    }

    [Fact]
    public async Task NonImage_IsRefusedNamingTheFile()
    {
        using var user = await _app.NewUserAsync("upload");
        var text = Convert.ToBase64String("<?php echo 'hi'; ?>"u8.ToArray());
        var r = await user.PostJobAsync(ApiClient.Job(images: [new StyleImageDto("evil.png", text)]));
        await AssertFieldError(r, "StyleImages", "'evil.png' is not an image");
    }

    [Fact]
    public async Task DecompressionBomb_IsRefusedFromItsHeader()
    {
        using var user = await _app.NewUserAsync("bomb");
        var bomb = TestImages.PngBomb(100_000, 100_000);
        Assert.True(bomb.Length < 2_000, $"the bomb is {bomb.Length} bytes");
        var r = await user.PostJobAsync(ApiClient.Job(images: [new StyleImageDto("bomb.png", Convert.ToBase64String(bomb))]));
        await AssertFieldError(r, "StyleImages", "100000x100000 pixels");
    }

    [Fact]
    public async Task TooManyFiles_AndBadBase64_AreRefused()
    {
        using var user = await _app.NewUserAsync("many");
        var png = Convert.ToBase64String(TestImages.Png(8, 8));
        var five = Enumerable.Range(0, 5).Select(i => new StyleImageDto($"s{i}.png", png)).ToList();
        await AssertFieldError(await user.PostJobAsync(ApiClient.Job(images: five)), "StyleImages", "5 style images sent; at most 4");
        await AssertFieldError(await user.PostJobAsync(ApiClient.Job(images: [new StyleImageDto("x.png", "not base64!")])), "StyleImages", "not valid base64");
    }

    [Fact]
    public async Task SomeoneElsesIds_AndForgedTokens_Give404()
    {
        using var user = await _app.NewUserAsync("prober");
        var random = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.GetAsync($"/api/jobs/{random}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.PostAsync($"/api/jobs/{random}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.GetAsync($"/api/domains/{random}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.GetAsync($"/files/domains/{random}/generator")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.GetAsync("/api/share/not-a-token")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Http.GetAsync($"/api/share/{new string('A', 43)}")).StatusCode);
        // A user is not an admin.
        Assert.Equal(HttpStatusCode.Forbidden, (await user.Http.PostAsync($"/api/admin/jobs/{random}/requeue", null)).StatusCode);
    }

    [Fact]
    public async Task Anonymous_IsRefusedByApiHubAndDashboard()
    {
        using var anonymous = _app.NewClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJobAsync(ApiClient.Job())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.PostAsync("/hubs/progress/negotiate?negotiateVersion=1", null)).StatusCode);
        await using (var hub = anonymous.Hub())
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.GetAsync("/hangfire")).StatusCode);
        var page = await anonymous.Http.GetAsync("/submit");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location!.PathAndQuery);

        // A signed-in user is not an admin: the dashboard stays closed.
        using var user = await _app.NewUserAsync("dash");
        Assert.Equal(HttpStatusCode.Forbidden, (await user.Http.GetAsync("/hangfire")).StatusCode);
        using var admin = await _app.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task WrongPassword_IsRefused()
    {
        using var c = _app.NewClient();
        var r = await c.Http.PostAsJsonAsync("/api/auth/login", new { email = NadaAppFactory.AdminEmail, password = "nope" });
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        var weak = await c.Http.PostAsJsonAsync("/api/auth/register", new { email = "weak@nada.test", password = "123" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
    }

    private static async Task AssertFieldError(HttpResponseMessage r, string field, string message)
    {
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{r.StatusCode}: {body}");
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var list), $"no error for {field}: {body}");
        Assert.Contains(message, list[0].GetString());
    }
}
