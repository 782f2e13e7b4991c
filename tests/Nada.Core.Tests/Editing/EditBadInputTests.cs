using System.Diagnostics;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>What a user can get wrong: photos that are not images, latents of another generator, empty texts.</summary>
[Collection(nameof(EditingCollection))]
public sealed class EditBadInputTests(ITestOutputHelper log) : IDisposable
{
    private readonly CheckpointTestFiles.Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void PhotosThatAreNotImagesGiveAMessageNamingTheFile()
    {
        var notImage = scratch.Write("notes.png", "this is not a picture"u8.ToArray());
        var empty = scratch.Write("empty.jpg", []);
        var corrupt = scratch.Write("corrupt.png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 1, 2, 3]);
        foreach (var (path, what) in new[] { (notImage, "not an image"), (empty, "empty"), (corrupt, "") })
        {
            var e = Assert.Throws<InvalidDataException>(() => PhotoInverter.LoadPhoto(path, 64));
            log.WriteLine(e.Message);
            Assert.Contains(path, e.Message);
            Assert.Contains(what, e.Message);
        }
        Assert.Throws<FileNotFoundException>(() => PhotoInverter.LoadPhoto(scratch.File("missing.png"), 64));
        Assert.Throws<InvalidDataException>(() => PhotoInverter.LoadPhoto(scratch.Dir, 64));
    }

    [Fact]
    public void ALatentOfAnotherGeneratorIsRefusedNamingBoth()
    {
        using var g = EditTestData.LoadGenerator();
        using var other = EditTestData.Perturbed(g, 0.05f, seed: 4);
        var gid = GeneratorIdentity.Of(g, "stylegan2_rosinality.pt");
        var otherId = GeneratorIdentity.Of(other, "cartoon-domain.safetensors");
        Assert.False(gid.SameGeneratorAs(otherId));
        using var w = no_grad().Let(() => g.MapToWPlus(SeedLatents.FromSeeds([1], g.Config.ZDim)).contiguous());
        var latent = scratch.File("other.safetensors");
        LatentFile.Save(latent, w, otherId);

        var e = Assert.Throws<LatentMismatchException>(() => LatentFile.LoadFor(latent, gid));
        log.WriteLine(e.Message);
        Assert.Contains("cartoon-domain.safetensors", e.Message);
        Assert.Contains("stylegan2_rosinality.pt", e.Message);
        Assert.Contains(latent, e.Message);
        // Accepted for its own generator, and for a domain when its base is named as accepted.
        using (var ok = LatentFile.LoadFor(latent, otherId).WPlus) Assert.True(ok.SameAs(w));
        using (var ok = LatentFile.LoadFor(latent, gid, otherId).WPlus) Assert.True(ok.SameAs(w));
    }

    [Fact]
    public void FilesThatAreNotLatentsAreRefused()
    {
        using var g = EditTestData.LoadGenerator();
        var converted = GeneratorLoader.Save(g, scratch.File("gen"));            // a safetensors file, but a generator
        var e = Assert.Throws<InvalidDataException>(() => LatentFile.Load(converted));
        Assert.Contains("not a NadaWeb latent", e.Message);
        Assert.ThrowsAny<Exception>(() => LatentFile.Load(EditTestData.GeneratorFile));   // a .pt zip
        Assert.Throws<FileNotFoundException>(() => LatentFile.Load(scratch.File("none.safetensors")));
        var wrongShape = scratch.File("wrong.safetensors");
        var id = GeneratorIdentity.Of(g, "g.pt");
        Assert.Throws<ArgumentException>(() => LatentFile.Save(wrongShape, zeros(1, 3, g.Config.WDim), id));
    }

    [Fact]
    public void IdentityFollowsTheTensorsNotTheFileFormat()
    {
        using var g = EditTestData.LoadGenerator();
        var converted = GeneratorLoader.Save(g, scratch.File("converted"));
        using var reloaded = GeneratorLoader.LoadGenerator(converted);
        using var perturbed = EditTestData.Perturbed(g, 0.01f, seed: 5);
        var a = GeneratorIdentity.Of(g, "a.pt");
        Assert.True(a.SameGeneratorAs(GeneratorIdentity.Of(reloaded, "a.safetensors")));
        Assert.False(a.SameGeneratorAs(GeneratorIdentity.Of(perturbed, "a.pt")));
        Assert.Equal(g.Config.NumWs, a.NumWs);
        Assert.Equal(64, a.Sha256.Length);

        using var w = no_grad().Let(() => g.MapToWPlus(SeedLatents.FromSeeds([2], g.Config.ZDim)).contiguous());
        var file = scratch.File("latent.safetensors");
        LatentFile.Save(file, w, a, new Dictionary<string, string> { ["text"] = "x" });
        var loaded = LatentFile.Load(file);
        using (loaded.WPlus)
        {
            Assert.True(loaded.WPlus.SameAs(w));
            Assert.Equal(a, loaded.Generator);
            Assert.Equal("x", loaded.Metadata["text"]);
        }
    }

    [Fact]
    public void AnEmptyTextOrAWronglyShapedStartIsRefused()
    {
        using var g = EditTestData.LoadGenerator();
        using var clip = EditTestData.LoadClip();
        foreach (var text in new[] { "", "   " })
        {
            var e = Assert.Throws<ArgumentException>(() => new LatentOptimizer(g, clip, text, new LatentOptimizationOptions()));
            Assert.Contains("text is empty", e.Message);
        }
        using var optimizer = new LatentOptimizer(g, clip, "a cat", new LatentOptimizationOptions { Steps = 2 });
        Assert.Throws<ArgumentException>(() => optimizer.Optimize(zeros(1, g.Config.NumWs + 1, g.Config.WDim), Nada.Core.Tests.Infrastructure.TestRuns.Reporter()));
        Assert.ThrowsAny<ArgumentException>(() => new LatentOptimizer(g, clip, "a cat", new LatentOptimizationOptions { Steps = 0 }));
        Assert.ThrowsAny<ArgumentException>(() => new LatentOptimizer(g, clip, "a cat", new LatentOptimizationOptions { LearningRate = -1 }));
        Assert.Throws<ArgumentException>(() => new EditStart(Seed: 1, PhotoPath: "x.png").Validate());
        Assert.Throws<ArgumentException>(() => new EditStart().Validate());
    }
}

internal static class NoGradExtensions
{
    /// <summary>Evaluates <paramref name="f"/> with the guard open, then closes it.</summary>
    public static T Let<T>(this IDisposable guard, Func<T> f)
    {
        using (guard) return f();
    }
}
