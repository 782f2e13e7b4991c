using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Checkpoints;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using static Nada.Core.Tests.Compact.CompactTestData;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Compact;

/// <summary>Compact domains as files and mixes: exactness at zero, linearity, refusal on another generator.</summary>
public sealed class CompactDomainTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();

    public static TheoryData<string> Generators => new() { "stylegan2_rosinality.pt", "nvlabs/sg3t.pkl" };

    [Theory]
    [MemberData(nameof(Generators))]
    public void ZeroOffsetsReproduceTheBaseBitForBit(string file)
    {
        using var scope = NewDisposeScope();
        string path = CheckpointTestFiles.Parity(file.Split('/'));
        using var g = GeneratorLoader.LoadGenerator(path);
        var id = GeneratorIdentity.Of(g, Path.GetFileName(path));
        var w = FixedWPlus(g);
        var baseImages = Render(g, w);
        var offsets = g.ModulatedLayers.ToDictionary(l => l.Name, l => zeros(l.InChannels).DetachFromDisposeScope());
        using var zero = new CompactDomain(Info(id, "zero"), offsets);
        using (DomainMix.Apply(g, id, [(zero, 1f)]))
            Assert.True(SameBits(Render(g, w), baseImages), "all-zero offsets changed the image");
        // and a random domain does change it, so the comparison can fail
        using var random = RandomDomain(g, id, seed: 1);
        using (DomainMix.Apply(g, id, [(random, 1f)]))
            Assert.False(SameBits(Render(g, w), baseImages));
        Assert.True(SameBits(Render(g, w), baseImages), "the lease left offsets behind");
    }

    [Fact]
    public void MixingIsLinearAndExactAtZeroAndOne()
    {
        using var scope = NewDisposeScope();
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        var id = GeneratorIdentity.Of(g, "base.pt");
        var w = FixedWPlus(g);
        using var a = RandomDomain(g, id, seed: 1, target: "a");
        using var b = RandomDomain(g, id, seed: 2, target: "b");
        var baseImages = Render(g, w);
        Tensor Direct(Dictionary<string, Tensor> offsets)
        {
            g.SetStyleOffsets(offsets);
            try { return Render(g, w); }
            finally { g.SetStyleOffsets(null); }
        }
        Tensor Mixed(params (CompactDomain, float)[] parts)
        {
            using var lease = DomainMix.Apply(g, id, parts);
            return Render(g, w);
        }
        var aImages = Direct(a.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.True(SameBits(Mixed((a, 0f)), baseImages), "alpha 0 is not the base");
        Assert.True(SameBits(Mixed((a, 1f)), aImages), "alpha 1 is not the domain");
        Assert.True(SameBits(Mixed((a, 0f), (b, 0f)), baseImages));
        var sum = a.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value + b.Offsets[kv.Key]);
        Assert.True(SameBits(Mixed((a, 1f), (b, 1f)), Direct(sum)), "two domains at 1 and 1 differ from the sum of their offsets");
        Assert.False(SameBits(Mixed((a, 1f), (b, 1f)), aImages));
        var half = a.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value * 0.5f);
        Assert.True(SameBits(Mixed((a, 0.5f)), Direct(half)));
        var negative = a.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value * -2f + b.Offsets[kv.Key] * 1.5f);
        Assert.True(Sg2TestDataMaxAbs(Mixed((a, -2f), (b, 1.5f)), Direct(negative)) < 1e-5);
        Assert.Throws<ArgumentException>(() => Mixed((a, DomainMix.MaxAbsAlpha + 0.5f)));
        Assert.Throws<ArgumentException>(() => Mixed((a, float.NaN)));
    }

    [Fact]
    public void AFileRoundTripsAndStaysSmall()
    {
        using var scope = NewDisposeScope();
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        var id = GeneratorIdentity.Of(g, "stylegan2_rosinality.pt");
        using var domain = RandomDomain(g, id, seed: 3, target: "pixar character");
        string file = _scratch.File("d.safetensors");
        CompactDomainFile.Save(file, domain);
        using var back = CompactDomainFile.Load(file);
        Assert.Equal(domain.Offsets.Keys.Order(), back.Offsets.Keys.Order());
        foreach (var (name, d) in domain.Offsets) Assert.True(SameBits(d, back.Offsets[name]), name);
        Assert.Equal("pixar character", back.Info.TargetText);
        Assert.True(back.Info.BaseGenerator.SameGeneratorAs(id));
        Assert.Equal("d.safetensors", back.Name);
        Assert.Equal(domain.ParameterCount * 4, new FileInfo(file).Length - HeaderBytes(file));
        Assert.True(CompactDomainFile.IsCompactDomain(file));
        Assert.False(CompactDomainFile.IsCompactDomain(BaseFile));
        Assert.Equal("pixar character", CompactDomainFile.ReadInfo(file).TargetText);
        // a generator file is not a compact domain, and a compact domain is not a generator
        string saved = GeneratorLoader.Save(g, _scratch.File("g"));
        Assert.False(CompactDomainFile.IsCompactDomain(saved));
        var e = Assert.Throws<CheckpointException>(() => CompactDomainFile.Load(saved));
        Assert.Contains("not a compact domain", e.Message);
        var e2 = Assert.Throws<CheckpointException>(() => GeneratorLoader.LoadGenerator(file));
        Assert.Contains("compact domain, not a generator", e2.Message);
    }

    [Fact]
    public void ADomainAppliedToAnotherGeneratorIsRefusedNamingBoth()
    {
        using var scope = NewDisposeScope();
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        var id = GeneratorIdentity.Of(g, "stylegan2_rosinality.pt");
        using var domain = RandomDomain(g, id, seed: 4, target: "sketch");
        using var other = GeneratorLoader.LoadGenerator(OtherFile);
        var otherId = GeneratorIdentity.Of(other, "sg2ada.pkl");
        var e = Assert.Throws<DomainMismatchException>(() => DomainMix.Apply(other, otherId, [(domain, 1f)]));
        Assert.Contains("sketch.safetensors", e.Message);
        Assert.Contains("stylegan2_rosinality.pt", e.Message);
        Assert.Contains("sg2ada.pkl", e.Message);

        // One changed weight makes another generator, even with the same file name and shapes.
        using var changed = GeneratorLoader.LoadGenerator(BaseFile);
        using (no_grad()) changed.state_dict()["convs.0.conv.weight"].add_(1e-3);
        Assert.Throws<DomainMismatchException>(() => DomainMix.Apply(changed, GeneratorIdentity.Of(changed, "stylegan2_rosinality.pt"), [(domain, 1f)]));
    }

    private static long HeaderBytes(string file)
    {
        using var fs = File.OpenRead(file);
        Span<byte> n = stackalloc byte[8];
        fs.ReadExactly(n);
        return 8 + BitConverter.ToInt64(n);
    }

    private static double Sg2TestDataMaxAbs(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    public void Dispose() => _scratch.Dispose();
}
