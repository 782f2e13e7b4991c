using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nada.Core.Models;
using Nada.Core.Tests.Models;
using Nada.Web.Api;
using Nada.Web.Engine;
using Nada.Web.ModelAdmin;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Models;

/// <summary>
/// Admin model downloads through the API against a registry override served by a local HTTP server: progress,
/// verification, the catalog and the submit API; hash mismatches and 404s; who may call the admin endpoints.
/// </summary>
public sealed class ModelDownloadFlowTests : IAsyncLifetime
{
    private readonly TestHttpServer _server = new();
    private readonly byte[] _gen = ModelTestRegistry.Bytes(700_000, 1);
    private readonly byte[] _clip = ModelTestRegistry.Bytes(300_000, 2);
    private readonly byte[] _bad = ModelTestRegistry.Bytes(50_000, 3);
    private TestHttpServer.Route _genRoute = null!;
    private string _dir = null!;
    private NadaAppFactory _app = null!;

    public Task InitializeAsync()
    {
        _dir = TestPaths.NewTempDir("models");
        _genRoute = _server.Serve("/gen.pkl", _gen);
        _genRoute.Delay = TimeSpan.FromMilliseconds(300);
        _server.Serve("/clip.pt", _clip);
        _server.Serve("/bad.pkl", _bad);
        _server.Serve("/gone.pkl", []).NotFound = true;
        _server.Serve("/sg3.pkl", ModelTestRegistry.Bytes(1000, 4));
        string registry = ModelTestRegistry.Write(_dir,
        [
            new("web-gen", "StyleGAN2", "web-gen.pkl", _server.Url("/gen.pkl"), ModelTestRegistry.Sha256(_gen)),
            new("web-clip", "CLIP", "web-clip.pt", _server.Url("/clip.pt"), null, "torchscript"),
            new("web-bad-hash", "StyleGAN2-ADA", "web-bad.pkl", _server.Url("/bad.pkl"), new string('0', 64), "nvlabs-pickle"),
            new("web-gone", "StyleGAN2", "web-gone.pkl", _server.Url("/gone.pkl"), null),
            new("web-sg3", "StyleGAN3", "web-sg3.pkl", _server.Url("/sg3.pkl"), null, "nvlabs-pickle"),
        ]);
        _app = new NadaAppFactory(Path.Combine(_dir, "app"), new Dictionary<string, string>
        {
            ["Models:RegistryFile"] = registry,
            ["Models:DownloadMaxAttempts"] = "1",
            ["Models:DownloadRetryDelaySeconds"] = "0",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
        TestPaths.TryDelete(_dir);
    }

    [Fact]
    public async Task AdminDownloads_ProgressReachesSubscribers_FileVerified_CatalogAndSubmitAcceptIt()
    {
        var notifier = _app.Services.GetRequiredService<ModelDownloadNotifier>();
        var seen = new ConcurrentQueue<ModelActivity>();
        notifier.Changed += id => { if (notifier.Activity(id) is { } a) seen.Enqueue(a); };
        using var admin = await _app.AdminAsync();

        var list = await admin.Http.GetFromJsonAsync<ModelListDto>("/api/admin/models", ApiClient.Json);
        Assert.NotNull(list);
        Assert.Equal(["web-gen", "web-clip", "web-bad-hash", "web-gone", "web-sg3"], list.Models.Select(m => m.Id));
        Assert.All(list.Models, m => Assert.Equal("missing", m.State));
        Assert.Equal("published", list.Models[0].Hash);
        Assert.Equal("unpublished", list.Models[1].Hash);
        Assert.True(list.Models.Single(m => m.Id == "web-sg3").Trainable);

        // Two clicks on the same model while it runs give one download.
        var first = await admin.Http.PostAsync("/api/admin/models/web-gen/download", null);
        var second = await admin.Http.PostAsync("/api/admin/models/web-gen/download", null);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.True(JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("started").GetBoolean());
        Assert.False(JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("started").GetBoolean());
        Assert.Equal(HttpStatusCode.Accepted, (await admin.Http.PostAsync("/api/admin/models/web-clip/download", null)).StatusCode);

        var gen = await WaitForStateAsync(admin, "web-gen", "present");
        var clip = await WaitForStateAsync(admin, "web-clip", "present");
        Assert.Equal(_gen, await File.ReadAllBytesAsync(gen.Path));
        Assert.Equal(_clip, await File.ReadAllBytesAsync(clip.Path));
        Assert.Equal("recorded", clip.Hash); // no published hash: recorded at first download
        Assert.Equal(1, _genRoute.Requests); // one transfer for the two clicks
        Assert.Contains(seen, a => a.ModelId == "web-gen" && a.Kind == ModelActivityKind.Queued);
        Assert.Contains(seen, a => a.ModelId == "web-gen" && a.Progress?.Phase == DownloadPhase.Downloading);
        Assert.Contains(seen, a => a.ModelId == "web-gen" && a.Kind == ModelActivityKind.Completed && a.Progress?.BytesDone == _gen.Length);

        var verify = JsonDocument.Parse(await (await admin.Http.PostAsync("/api/admin/models/web-gen/verify", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        Assert.Equal("Verified", verify.GetProperty("status").GetString());
        Assert.Equal(ModelTestRegistry.Sha256(_gen), verify.GetProperty("sha256").GetString());
        var clipVerify = JsonDocument.Parse(await (await admin.Http.PostAsync("/api/admin/models/web-clip/verify", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("MatchesRecorded", clipVerify.GetProperty("status").GetString());

        // The catalog offers them by registry id and display name; the submit API accepts the ids.
        var catalog = _app.Services.GetRequiredService<IModelCatalog>();
        Assert.Contains(catalog.Generators(), g => g.Id == "web-gen" && g.Name == "Test web-gen" && g.Path == gen.Path);
        Assert.Contains(catalog.ClipModels(), c => c.Id == "web-clip");
        Assert.DoesNotContain(catalog.Generators(), g => g.Id == "web-clip");
        using var user = await _app.NewUserAsync("modeluser");
        var submitted = await user.PostJobAsync(new SubmitJobDto("web-gen", ["web-clip"], "photo", "sketch", 3));
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
        var unknown = await user.PostJobAsync(new SubmitJobDto("web-gone", ["web-clip"], "photo", "sketch", 3));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task HashMismatchAnd404_FailWithClearMessages_AndKeepNothing()
    {
        using var admin = await _app.AdminAsync();
        await admin.Http.PostAsync("/api/admin/models/web-bad-hash/download", null);
        await admin.Http.PostAsync("/api/admin/models/web-gone/download", null);

        var bad = await WaitForStateAsync(admin, "web-bad-hash", "failed");
        Assert.Contains("SHA-256", bad.Error);
        Assert.Contains(new string('0', 64), bad.Error);
        var gone = await WaitForStateAsync(admin, "web-gone", "failed");
        Assert.Contains(_server.Url("/gone.pkl"), gone.Error);
        Assert.Contains(gone.Path, gone.Error); // where the admin can put the file by hand

        string modelsDir = Path.GetDirectoryName(bad.Path)!;
        Assert.Empty(Directory.EnumerateFiles(modelsDir, "web-*"));
        var catalog = _app.Services.GetRequiredService<IModelCatalog>();
        Assert.DoesNotContain(catalog.Generators(), g => g.Id.StartsWith("web-", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.NotFound, (await admin.Http.PostAsync("/api/admin/models/no-such-model/download", null)).StatusCode);
        var missing = JsonDocument.Parse(await (await admin.Http.PostAsync("/api/admin/models/web-gone/verify", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.False(missing.GetProperty("ok").GetBoolean());
        Assert.Equal("Missing", missing.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ModelsPage_RendersForAdmins_AndNotForUsers()
    {
        using var admin = await _app.AdminAsync();
        var page = await admin.Http.GetAsync("/admin/models");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"model-web-gen\"", html);
        Assert.Contains("Test web-clip", html);
        Assert.Contains("upload-name", html);

        using var user = await _app.NewUserAsync("pageuser");
        var denied = await user.Http.GetAsync("/admin/models");
        Assert.DoesNotContain("id=\"model-web-gen\"", await denied.Content.ReadAsStringAsync());
        using var anonymous = _app.NewClient();
        var redirected = await anonymous.Http.GetAsync("/admin/models");
        Assert.DoesNotContain("id=\"model-web-gen\"", await redirected.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task StyleGan3_IsOfferedOnceDownloaded()
    {
        using var admin = await _app.AdminAsync();
        await admin.Http.PostAsync("/api/admin/models/web-sg3/download", null);
        await WaitForStateAsync(admin, "web-sg3", "present");
        var catalog = _app.Services.GetRequiredService<IModelCatalog>();
        Assert.Contains(catalog.Generators(), g => g.Id == "web-sg3");
    }

    [Fact]
    public async Task AdminEndpoints_Answer401Anonymous_And403ToUsers()
    {
        using var anonymous = _app.NewClient();
        using var user = await _app.NewUserAsync("notadmin");
        foreach (var (client, expected) in new[] { (anonymous, HttpStatusCode.Unauthorized), (user, HttpStatusCode.Forbidden) })
        {
            Assert.Equal(expected, (await client.Http.GetAsync("/api/admin/models")).StatusCode);
            Assert.Equal(expected, (await client.Http.GetAsync("/api/admin/models/web-gen")).StatusCode);
            Assert.Equal(expected, (await client.Http.PostAsync("/api/admin/models/web-gen/download", null)).StatusCode);
            Assert.Equal(expected, (await client.Http.PostAsync("/api/admin/models/web-gen/verify", null)).StatusCode);
            Assert.Equal(expected, (await client.Http.GetAsync("/api/admin/models/previews/x")).StatusCode);
            using var form = new MultipartFormDataContent { { new StringContent("x"), "name" }, { new ByteArrayContent([1, 2, 3]), "file", "x.pt" } };
            Assert.Equal(expected, (await client.Http.PostAsync("/api/admin/models/upload", form)).StatusCode);
        }
        Assert.Equal(0, _server.RequestCount);
        Assert.Null(_app.Services.GetRequiredService<ModelDownloadNotifier>().Activity("web-gen"));
    }

    private static async Task<ModelRowDto> WaitForStateAsync(ApiClient client, string id, string state, int timeoutSeconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        ModelRowDto? last = null;
        while (DateTime.UtcNow < until)
        {
            last = await client.Http.GetFromJsonAsync<ModelRowDto>($"/api/admin/models/{id}", ApiClient.Json);
            if (last?.State == state) return last;
            if (last?.State is "failed" && state != "failed") break;
            await Task.Delay(100);
        }
        throw new TimeoutException($"model {id} did not reach '{state}'; last: {last?.State} {last?.Error}");
    }
}
