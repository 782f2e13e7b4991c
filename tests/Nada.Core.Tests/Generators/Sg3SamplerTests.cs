using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Scheduling;
using Nada.Core.Service.Torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// The web's sampler with StyleGAN3's input transform: translated and rotated samples through the broker, the cached
/// generator's stored transform (and identity) kept, StyleGAN2 refused, and which files offer the transform.
/// </summary>
public sealed class Sg3SamplerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-sg3-sampler-");

    public void Dispose() => _dir.Delete(true);

    private string Tmp(string name) => Path.Combine(_dir.FullName, name);

    private string Converted(string parityName, params string[] parityPath)
    {
        using var g = GeneratorLoader.LoadGenerator(Sg2TestData.File(parityPath));
        return GeneratorLoader.Save(g, Tmp(parityName));
    }

    [Fact]
    public async Task TransformedSamplesDifferAndTheCachedGeneratorIsRestored()
    {
        string sg3 = Converted("sg3t", "nvlabs", "sg3t.pkl");
        using var broker = new GpuBroker(["cpu"]);
        using var sampler = new TorchDomainSampler(broker);
        int[] seeds = [1, 2];
        var plain = await sampler.SamplePngAsync(sg3, seeds, 0.7f);
        var identity = await sampler.SamplePngAsync(sg3, seeds, 0.7f, InputTransform.Identity);
        var moved = await sampler.SamplePngAsync(sg3, seeds, 0.7f, new InputTransform(0.2, -0.1, 0));
        var rotated = await sampler.SamplePngAsync(sg3, seeds, 0.7f, new InputTransform(0, 0, 30));
        Assert.Equal(plain, identity);
        Assert.NotEqual(plain[0], moved[0]);
        Assert.NotEqual(plain[0], rotated[0]);
        Assert.NotEqual(moved[0], rotated[0]);
        Assert.Equal(plain, await sampler.SamplePngAsync(sg3, seeds, 0.7f));       // nothing left on the cached generator

        // The same as setting the transform on a freshly loaded generator.
        using (var g = (StyleGan3Generator)GeneratorLoader.LoadGenerator(sg3))
        {
            g.SetInputTransform(new InputTransform(0.2, -0.1, 0));
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var noGrad = TorchSharp.torch.no_grad();
            var expected = Imaging.ImageEncoder.ToPngs(g.Generate(SeedLatents.FromSeeds(seeds, g.Config.ZDim), 0.7f, NoiseMode.Const));
            Assert.Equal(expected, moved);
        }

        Assert.True(sampler.SupportsInputTransform(sg3));
        string sg2 = Converted("sg2", "stylegan2_rosinality.pt");
        Assert.False(sampler.SupportsInputTransform(sg2));
        Assert.False(sampler.SupportsInputTransform(Sg2TestData.File("nvlabs", "sg3t.pkl")));   // not our format: not told from the header
        Assert.False(sampler.SupportsInputTransform(Tmp("missing.safetensors")));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => sampler.SamplePngAsync(sg2, seeds, 0.7f, new InputTransform(0, 0, 10)));
        Assert.Contains("sg2.safetensors", e.Message);
        Assert.Contains("StyleGAN3", e.Message);
        Assert.Equal(await sampler.SamplePngAsync(sg2, seeds, 0.7f), await sampler.SamplePngAsync(sg2, seeds, 0.7f, null));
    }

    [Fact]
    public void UseInputTransformRestoresAStoredTransformAndTheIdentity()
    {
        using var g = (StyleGan3Generator)GeneratorLoader.LoadGenerator(Sg2TestData.File("nvlabs", "sg3r.pkl"));
        g.SetInputTransform(new InputTransform(0.1, 0, 5));        // a stored, non-default transform
        var before = GeneratorIdentity.Of(g, "g");
        using (g.UseInputTransform(new InputTransform(-0.3, 0.2, 90)))
            Assert.False(GeneratorIdentity.Of(g, "g").SameGeneratorAs(before));
        Assert.True(GeneratorIdentity.Of(g, "g").SameGeneratorAs(before));
    }
}
