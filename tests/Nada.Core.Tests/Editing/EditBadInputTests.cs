using System.Diagnostics;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>What a user can get wrong: photos that are not images, latents of another generator, empty texts.</summary>
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
    public void AHugePhotoIsDecodedDownscaled()
    {
        const int side = 12000;
        var path = scratch.File("huge.png");
        EditTestData.WriteLargePng(path, side, side);
        log.WriteLine($"{side}x{side} PNG: {new FileInfo(path).Length / 1024} KiB on disk, {side * (long)side * 4 / 1048576} MiB as RGBA pixels");
        using (var warm = zeros(1)) { }                                   // load libtorch before measuring
        bool peakReset = ResetPeakResidentMemory();
        long before = ResidentKiB("VmRSS");
        var sw = Stopwatch.StartNew();
        using var photo = PhotoInverter.LoadPhoto(path, 64);
        long peak = ResidentKiB("VmHWM");
        log.WriteLine($"decoded in {sw.Elapsed.TotalSeconds:F1} s; resident {before / 1024} MiB before, peak {peak / 1024} MiB during (peak reset: {peakReset})");
        // A full-size decode needs 549 MiB for the pixels alone (2.7 GB peak seen before rows were streamed); streaming needs a few MiB.
        if (peakReset) Assert.True(peak - before < 100 * 1024, $"resident memory rose by {(peak - before) / 1024} MiB while decoding");
        Assert.Equal(new long[] { 1, 3, 64, 64 }, photo.shape);
        // Red rises left to right, blue falls (the written gradient), green is constant.
        float redLeft = photo[0, 0, 32, 2].item<float>(), redRight = photo[0, 0, 32, 61].item<float>();
        float blueLeft = photo[0, 2, 32, 2].item<float>(), blueRight = photo[0, 2, 32, 61].item<float>();
        Assert.True(redRight > redLeft + 1 && blueLeft > blueRight + 1, $"red {redLeft}->{redRight}, blue {blueLeft}->{blueRight}");
        Assert.InRange(photo[0, 1].mean().item<float>(), 90 / 127.5f - 1 - 0.02f, 90 / 127.5f - 1 + 0.02f);
    }

    /// <summary>Resets the process's peak resident set (Linux: "5" into /proc/self/clear_refs); false where unsupported.</summary>
    private static bool ResetPeakResidentMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ResidentKiB("VmHWM") > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A field of /proc/self/status in KiB (0 when unavailable).</summary>
    private static long ResidentKiB(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
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
        Assert.Throws<ArgumentException>(() => optimizer.Optimize(zeros(1, g.Config.NumWs + 1, g.Config.WDim), NoEditProgress.Instance, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => new LatentOptimizer(g, clip, "a cat", new LatentOptimizationOptions { Steps = 0 }));
        Assert.Throws<ArgumentException>(() => new LatentOptimizer(g, clip, "a cat", new LatentOptimizationOptions { LearningRate = -1 }));
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
