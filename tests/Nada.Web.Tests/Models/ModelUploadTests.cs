using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Nada.Core.Imaging;
using Nada.Core.Tests;
using Nada.Web.Api;
using Nada.Web.Engine;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Models;

/// <summary>
/// Admin uploads through the API: each parity generator format converts, previews and is offered for training;
/// a malicious pickle, a StyleGAN3 pickle, an HTML page, a bad name and an over-size file are refused and leave nothing.
/// </summary>
public sealed class ModelUploadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private NadaAppFactory _app = null!;
    private ApiClient _admin = null!;

    public async Task InitializeAsync()
    {
        _app = new NadaAppFactory(settings: new Dictionary<string, string> { ["Models:MaxUploadBytes"] = "16000000" });
        _admin = await _app.AdminAsync();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    private string GeneratorsDir => Path.Combine(_app.DataDir, "models", "generators");

    private Task<HttpResponseMessage> UploadAsync(string name, byte[] content, string fileName, string? kind = null)
    {
        var form = new MultipartFormDataContent();
        form.Add(new StringContent(name), "name");
        if (kind is not null) form.Add(new StringContent(kind), "kind");
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        return _admin.Http.PostAsync("/api/admin/models/upload", form);
    }

    [Theory]
    [InlineData("stylegan2_rosinality.pt", "Rosinality")]
    [InlineData("nvlabs/sg2ada.pkl", "NvidiaAdaPytorch")]
    [InlineData("nvlabs/sg2tf.pkl", "NvidiaTensorFlow")]
    [InlineData("nvlabs/sg3t.pkl", "NvidiaStyleGan3")]
    [InlineData("nvlabs/sg3r.pkl", "NvidiaStyleGan3")]
    public async Task ParityGenerator_ConvertsPreviewsAndIsOffered(string parityFile, string format)
    {
        string name = "up-" + Path.GetFileNameWithoutExtension(parityFile);
        var r = await UploadAsync(name, await File.ReadAllBytesAsync(ParityFiles.File(parityFile.Split('/'))), Path.GetFileName(parityFile));
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"{r.StatusCode} {body}");
        var result = JsonDocument.Parse(body).RootElement;
        Assert.Equal(format, result.GetProperty("sourceFormat").GetString());
        Assert.Equal(name + ".safetensors", result.GetProperty("id").GetString());
        int resolution = result.GetProperty("resolution").GetInt32();

        Assert.True(File.Exists(Path.Combine(GeneratorsDir, name + ".safetensors")));
        Assert.True(File.Exists(Path.Combine(GeneratorsDir, name + ".json")));
        var catalog = _app.Services.GetRequiredService<IModelCatalog>();
        Assert.Single(catalog.Generators(), g => g.Id == name + ".safetensors");

        // The preview grid: 8 images of the generator's resolution, 4 per row.
        var png = await _admin.Http.GetByteArrayAsync(result.GetProperty("previewUrl").GetString());
        var (_, width, height) = ImageEncoder.DecodePng(png);
        Assert.InRange(width, 4 * resolution, 4 * resolution + 5 * 2);
        Assert.InRange(height, 2 * resolution, 2 * resolution + 3 * 2);

        using var user = await _app.NewUserAsync("uploaduser");
        var submit = await user.PostJobAsync(new SubmitJobDto(name + ".safetensors", ["fake-clip-vit-b32.pt"], "photo", "sketch", 2));
        Assert.True(submit.StatusCode == HttpStatusCode.Created, await submit.Content.ReadAsStringAsync());

        // The same name again is refused.
        var again = await UploadAsync(name, await File.ReadAllBytesAsync(ParityFiles.File(parityFile.Split('/'))), "again.pt");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already exists", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ClipModel_IsCheckedKeptAndOffered_AndNonClipFilesAreRefused()
    {
        var r = await UploadAsync("up-clip", await File.ReadAllBytesAsync(ParityFiles.File("clip_openai_tiny_vit.pt")), "tiny.pt", "clip");
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"{r.StatusCode} {body}");
        var result = JsonDocument.Parse(body).RootElement;
        Assert.Equal("up-clip.pt", result.GetProperty("id").GetString());
        Assert.Equal("Clip", result.GetProperty("kind").GetString());
        string kept = Path.Combine(_app.DataDir, "models", "clip", "up-clip.pt");
        Assert.Equal(await File.ReadAllBytesAsync(ParityFiles.File("clip_openai_tiny_vit.pt")), await File.ReadAllBytesAsync(kept));
        Assert.Single(_app.Services.GetRequiredService<IModelCatalog>().ClipModels(), c => c.Id == "up-clip.pt");
        using var user = await _app.NewUserAsync("clipuser");
        var submit = await user.PostJobAsync(new SubmitJobDto("fake-ffhq-256.pkl", ["up-clip.pt"], "photo", "sketch", 2));
        Assert.True(submit.StatusCode == HttpStatusCode.Created, await submit.Content.ReadAsStringAsync());

        // A generator is not a CLIP model; a malicious pickle is refused as CLIP too; an unknown kind is refused.
        var generator = await UploadAsync("not-clip", await File.ReadAllBytesAsync(ParityFiles.File("stylegan2_rosinality.pt")), "gen.pt", "clip");
        output.WriteLine(await generator.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, generator.StatusCode);
        Assert.Contains("gen.pt", await generator.Content.ReadAsStringAsync());
        string marker = Path.Combine(Path.GetTempPath(), "nada-pwned-" + Guid.NewGuid().ToString("N"));
        var evil = await UploadAsync("evil-clip", MaliciousPickle($"touch {marker}"), "evil.pt", "clip");
        output.WriteLine(await evil.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, evil.StatusCode);
        Assert.False(File.Exists(marker), "the pickle's command ran");
        string clipDir = Path.Combine(_app.DataDir, "models", "clip");
        Assert.Empty(Directory.EnumerateFiles(clipDir, "not-clip.*").Concat(Directory.EnumerateFiles(clipDir, "evil-clip.*")));
        var unknownKind = await UploadAsync("x", [1, 2, 3], "x.pt", "vae");
        Assert.Equal(HttpStatusCode.BadRequest, unknownKind.StatusCode);
        Assert.Contains("use generator or clip", await unknownKind.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MaliciousPickle_IsRefused_AndNeverRuns()
    {
        string marker = Path.Combine(Path.GetTempPath(), "nada-pwned-" + Guid.NewGuid().ToString("N"));
        var r = await UploadAsync("evil", MaliciousPickle($"touch {marker}"), "evil.pkl");
        string body = await r.Content.ReadAsStringAsync();
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("evil.pkl", body);
        Assert.Contains("posix", body);
        Assert.False(File.Exists(marker), "the pickle's command ran");
        AssertNothingKept("evil");
    }

    [Fact]
    public async Task HtmlPage_BadNames_AndOversizeFiles_AreRefused()
    {
        var html = await UploadAsync("page", Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>Sign in to download</body></html>"), "ffhq.pkl");
        Assert.Equal(HttpStatusCode.BadRequest, html.StatusCode);
        Assert.Contains("ffhq.pkl", await html.Content.ReadAsStringAsync());
        AssertNothingKept("page");

        foreach (var bad in new[] { "../escape", ".hidden", "a/b", "sp ace", new string('x', 65) })
        {
            var r = await UploadAsync(bad, [1, 2, 3], "x.pt");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("is not allowed", await r.Content.ReadAsStringAsync());
        }

        var big = await UploadAsync("big", new byte[16_000_001], "big.pkl");
        Assert.True(big.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, big.StatusCode.ToString());
        Assert.Contains("limit", await big.Content.ReadAsStringAsync());
        AssertNothingKept("big");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_app.DataDir, "tmp")));
    }

    private void AssertNothingKept(string name)
    {
        Assert.False(Directory.Exists(GeneratorsDir) && Directory.EnumerateFiles(GeneratorsDir, name + ".*").Any(), $"files of '{name}' were kept");
        Assert.DoesNotContain(_app.Services.GetRequiredService<IModelCatalog>().Generators(), g => g.Id.StartsWith(name + ".", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_app.DataDir, "model-previews", name + ".png")));
    }

    /// <summary>A protocol-2 pickle that calls os.system(command) when unpickled by Python's pickle module.</summary>
    private static byte[] MaliciousPickle(string command)
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 0x02]);                                   // PROTO 2
        ms.Write(Encoding.ASCII.GetBytes("cposix\nsystem\n"));    // GLOBAL 'posix system'
        byte[] cmd = Encoding.UTF8.GetBytes(command);
        ms.WriteByte((byte)'X');                                  // BINUNICODE
        ms.Write(BitConverter.GetBytes(cmd.Length));
        ms.Write(cmd);
        ms.WriteByte(0x85);                                       // TUPLE1
        ms.WriteByte((byte)'R');                                  // REDUCE
        ms.WriteByte((byte)'.');                                  // STOP
        return ms.ToArray();
    }
}
