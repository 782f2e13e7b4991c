using Nada.Core.Adaptation.Compact;
using Nada.Core.Editing;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Compact;

/// <summary>Baking a mix into a StyleGAN2's weights renders what the offsets render; mixes saved as one file render the same mix.</summary>
public sealed class DomainBakerTests
{
    [Fact]
    public void BakedGenerator_RendersTheMix_AndSavedMixFile_RendersItExactly()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"nada-bake-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            using var scope = NewDisposeScope();
            using var g = GeneratorLoader.LoadGenerator(CompactTestData.BaseFile);
            var id = GeneratorIdentity.Of(g, Path.GetFileName(CompactTestData.BaseFile));
            string a = Path.Combine(dir, "a.safetensors"), b = Path.Combine(dir, "b.safetensors");
            using (var da = CompactTestData.RandomDomain(g, id, 1, target: "a")) CompactDomainFile.Save(a, da);
            using (var db = CompactTestData.RandomDomain(g, id, 2, target: "b")) CompactDomainFile.Save(b, db);
            DomainWeight[] parts = [new(a, 0.5f), new(b, -0.75f)];

            var w = CompactTestData.FixedWPlus(g);
            var plain = CompactTestData.Render(g, w);
            Tensor mixed;
            var loaded = parts.Select(p => (CompactDomainFile.Load(p.File), p.Alpha)).ToList();
            using (DomainMix.Apply(g, id, loaded)) mixed = CompactTestData.Render(g, w);
            foreach (var (d, _) in loaded) d.Dispose();
            Assert.True((mixed - plain).abs().max().item<float>() > 1e-3f, "the random mix changes the images");

            // One file of the mix renders the mix bit for bit.
            string mixFile = Path.Combine(dir, "mix.safetensors");
            long count = DomainMixWriter.Write(parts, mixFile, "photo", "a and not b");
            Assert.Equal(g.ModulatedLayers.Where(l => !l.IsToRgb).Sum(l => (long)l.InChannels), count);
            Assert.Equal("a and not b", CompactDomainFile.ReadInfo(mixFile).TargetText);
            using (var mix = CompactDomainFile.Load(mixFile))
            using (DomainMix.Apply(g, id, [(mix, 1f)]))
                Assert.True(CompactTestData.SameBits(mixed, CompactTestData.Render(g, w)));

            // The baked generator renders it without offsets, up to float rounding of the folded weights.
            using var baked = DomainMixWriter.Bake(CompactTestData.BaseFile, parts);
            var fromBaked = CompactTestData.Render(baked, w);
            float worst = (fromBaked - mixed).abs().max().item<float>();
            Assert.True(worst < 1e-4f, $"baked vs offsets: largest difference {worst}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StyleGan3_IsNotBaked_WithAMessage()
    {
        using var g = GeneratorLoader.LoadGenerator(CompactTestData.Sg3File);
        var e = Assert.Throws<NotSupportedException>(() => DomainBaker.Bake(g, new Dictionary<string, Tensor>()));
        Assert.Contains("Only StyleGAN2", e.Message);
    }

    [Fact]
    public void DomainsOfDifferentGenerators_AreNotSavedAsOneMix()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"nada-bake-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            using var g = GeneratorLoader.LoadGenerator(CompactTestData.BaseFile);
            using var other = GeneratorLoader.LoadGenerator(CompactTestData.OtherFile);
            string a = Path.Combine(dir, "a.safetensors"), b = Path.Combine(dir, "b.safetensors");
            using (var da = CompactTestData.RandomDomain(g, GeneratorIdentity.Of(g, "base.pt"), 1, target: "a")) CompactDomainFile.Save(a, da);
            using (var db = CompactTestData.RandomDomain(other, GeneratorIdentity.Of(other, "other.pkl"), 2, target: "b")) CompactDomainFile.Save(b, db);
            Assert.Throws<DomainMismatchException>(() => DomainMixWriter.Write([new(a, 1f), new(b, 1f)], Path.Combine(dir, "mix.safetensors"), "photo", "x"));
            Assert.False(File.Exists(Path.Combine(dir, "mix.safetensors")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
