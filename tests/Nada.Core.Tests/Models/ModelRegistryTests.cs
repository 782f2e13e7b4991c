using System.Text;
using System.Text.RegularExpressions;
using Nada.Core.Models;

namespace Nada.Core.Tests.Models;

/// <summary>The shipped registry's content and the loader's validation.</summary>
public class ModelRegistryTests
{
    private static ModelRegistry Parse(string json) => ModelRegistry.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

    [Fact]
    public void BuiltInRegistryHoldsTheRequiredModels()
    {
        var registry = ModelRegistry.LoadEmbedded();

        string[] required =
        [
            "sg2-ffhq-1024", "sg2-car-512", "sg2-cat-256", "sg2-church-256", "sg2-horse-256",
            "sg2ada-ffhq-1024", "sg2ada-afhqcat-512", "sg2ada-afhqdog-512", "sg2ada-afhqwild-512", "sg2ada-metfaces-1024",
            "sg3t-ffhq-1024", "sg3r-ffhq-1024", "sg3t-afhqv2-512", "sg3r-afhqv2-512", "sg3t-metfaces-1024", "sg3r-metfaces-1024",
            "clip-vit-b32", "clip-vit-b16", "clip-rn50", "clip-vit-l14",
        ];
        foreach (var id in required) Assert.NotNull(registry.TryFind(id));
        Assert.Equal("stylegan2-ffhq-config-f.pkl", registry.Find("sg2-ffhq-1024").FileName);
        Assert.Equal(ModelFormat.TfPickle, registry.Find("sg2-ffhq-1024").Format);
        Assert.Equal(ModelFamily.StyleGAN2Ada, registry.Find("sg2ada-ffhq-1024").Family);
        Assert.Equal(ModelFormat.TorchScript, registry.Find("clip-vit-b32").Format);
        Assert.All(registry.Models, m => Assert.StartsWith("https://github.com/", m.SourcePage));
    }

    [Fact]
    public void ClipHashesAreTheOnesCarriedInOpenAiUrls()
    {
        var clip = ModelRegistry.LoadEmbedded().Models.Where(m => m.Family == ModelFamily.Clip).ToList();

        Assert.Equal(4, clip.Count);
        foreach (var entry in clip)
        {
            var segments = new Uri(Assert.Single(entry.Urls)).Segments;
            Assert.Equal(segments[^2].TrimEnd('/'), entry.Sha256);
            Assert.Equal(segments[^1], entry.FileName);
        }
    }

    [Fact]
    public void NoHashIsClaimedWherePublishersGiveNone()
    {
        // NVIDIA publishes no checksums for its pickles: every NVIDIA entry must rely on the recorded-hash path.
        var nvidia = ModelRegistry.LoadEmbedded().Models.Where(m => m.Family != ModelFamily.Clip);
        Assert.All(nvidia, m => Assert.Null(m.Sha256));
    }

    [Fact]
    public void LoadWithoutOverrideUsesBuiltInAndWithOverrideReadsTheFile()
    {
        Assert.Equal("built-in", ModelRegistry.Load(null).Source);
        Assert.Equal("built-in", ModelRegistry.Load("").Source);

        string path = Path.Combine(Path.GetTempPath(), $"nada-registry-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            { "models": [ { "id": "mine", "displayName": "Mine", "domain": "d", "resolution": 64, "family": "StyleGAN3",
              "format": "safetensors", "fileName": "mine.safetensors", "urls": ["https://example.org/mine.safetensors"],
              "sha256": "AB0000000000000000000000000000000000000000000000000000000000CDEF", "sizeBytes": 10,
              "license": "l", "sourcePage": "https://example.org/" } ] }
            """);
        try
        {
            var registry = ModelRegistry.Load(path);
            var entry = Assert.Single(registry.Models);
            Assert.Equal(Path.GetFullPath(path), registry.Source);
            Assert.Equal(ModelFamily.StyleGAN3, entry.Family);
            Assert.Equal(ModelFormat.SafeTensors, entry.Format);
            Assert.Equal("ab0000000000000000000000000000000000000000000000000000000000cdef", entry.Sha256);
            Assert.Equal(10, entry.SizeBytes);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingOverrideFileIsNamed()
    {
        var ex = Assert.Throws<ModelRegistryException>(() => ModelRegistry.Load("/nonexistent/registry.json"));
        Assert.Contains("/nonexistent/registry.json", ex.Message);
    }

    [Theory]
    [InlineData("\"sha256\": \"xyz\"", "sha256")]
    [InlineData("\"fileName\": \"../evil.pkl\"", "fileName")]
    [InlineData("\"urls\": [\"ftp://example.org/a\"]", "ftp://example.org/a")]
    [InlineData("\"urls\": []", "urls")]
    [InlineData("\"family\": \"BigGAN\"", "test.json")]
    [InlineData("\"id\": \"Has Space\"", "id")]
    public void InvalidEntriesAreRejectedWithTheFieldNamed(string replacement, string expectedInMessage)
    {
        string field = replacement[..replacement.IndexOf(':')];
        string entry = $$"""
            { "id": "a", "displayName": "A", "domain": "d", "resolution": 64, "family": "StyleGAN2", "format": "tf-pickle",
              "fileName": "a.pkl", "urls": ["https://example.org/a.pkl"], "sha256": null, "license": "l",
              "sourcePage": "https://example.org/" }
            """;
        entry = Regex.Replace(entry, Regex.Escape(field) + @":\s*(\[[^\]]*\]|""[^""]*""|null)", replacement);
        Assert.Contains(replacement, entry);

        var ex = Assert.Throws<ModelRegistryException>(() => Parse($$"""{ "models": [ {{entry}} ] }"""));
        Assert.Contains(expectedInMessage, ex.Message);
    }

    [Fact]
    public void DuplicateIdsAreRejected()
    {
        const string entry = """
            { "id": "a", "displayName": "A", "domain": "d", "resolution": 64, "family": "CLIP", "format": "torchscript",
              "fileName": "FILE", "urls": ["https://example.org/a.pt"], "license": "l", "sourcePage": "https://example.org/" }
            """;
        var ex = Assert.Throws<ModelRegistryException>(() =>
            Parse($$"""{ "models": [ {{entry.Replace("FILE", "a.pt")}}, {{entry.Replace("FILE", "b.pt")}} ] }"""));
        Assert.Contains("'a' appears twice", ex.Message);
    }

    [Fact]
    public void UnknownIdListsKnownIds()
    {
        var ex = Assert.Throws<ModelStoreException>(() => ModelRegistry.LoadEmbedded().Find("sg2-ffhq"));
        Assert.Contains("unknown model 'sg2-ffhq'", ex.Message);
        Assert.Contains("sg2-ffhq-1024", ex.Message);
    }
}
