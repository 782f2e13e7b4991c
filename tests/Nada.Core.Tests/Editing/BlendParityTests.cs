using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>Domain blending on the tiny parity generator and a perturbed copy standing in for an adapted domain.</summary>
[Collection(nameof(EditingCollection))]
public sealed class BlendParityTests
{
    private static Tensor Latents(StyleGan2Generator g)
    {
        using var noGrad = no_grad();
        return g.MapToWPlus(SeedLatents.FromSeeds([0, 1, 2], g.Config.ZDim)).contiguous();   // [3, NumWs, WDim]
    }

    private static Tensor Render(StyleGan2Generator g, Tensor w)
    {
        using var noGrad = no_grad();
        return g.Synthesis(w);
    }

    [Fact]
    public void AlphaZeroAndOneReproduceSourceAndAdaptedRendersExactly()
    {
        using var scope = NewDisposeScope();
        using var source = EditTestData.LoadGenerator();
        using var adapted = EditTestData.Perturbed(source, 0.05f, seed: 1);
        var w = Latents(source);
        var sourceImages = Render(source, w);
        var adaptedImages = Render(adapted, w);
        Assert.True((sourceImages - adaptedImages).abs().max().item<float>() > 1e-3, "the perturbed copy must render differently");

        using var blender = new DomainBlender(source);
        Assert.True(blender.Render(adapted, 1f, w).SameAs(adaptedImages), "alpha 1 must equal the adapted generator bit for bit");
        Assert.True(blender.Render(adapted, 0f, w).SameAs(sourceImages), "alpha 0 must equal the source bit for bit");
        var half = blender.Render(adapted, 0.5f, w);
        Assert.False(half.SameAs(sourceImages));
        Assert.False(half.SameAs(adaptedImages));
        // Re-blending starts from the source weights every time: going back to 1 is exact again.
        Assert.True(blender.Render(adapted, 1f, w).SameAs(adaptedImages));

        // The blended weights are the convex combination; the source stays untouched.
        blender.Blend(adapted, 0.25f);
        var s = source.state_dict();
        var a = adapted.state_dict();
        foreach (var (name, t) in blender.Blended.state_dict())
        {
            var expected = s[name] * 0.75f + a[name] * 0.25f;
            Assert.True((t - expected).abs().max().item<float>() <= 1e-5f * (1 + expected.abs().max().item<float>()), name);
        }
        Assert.True(Render(source, w).SameAs(sourceImages), "blending must not change the source generator");
    }

    [Fact]
    public void SeveralDomainsRenderSideBySideFromOneLatent()
    {
        using var scope = NewDisposeScope();
        using var source = EditTestData.LoadGenerator();
        using var d1 = EditTestData.Perturbed(source, 0.05f, seed: 2);
        using var d2 = EditTestData.Perturbed(source, 0.05f, seed: 3);
        var w = Latents(source).narrow(0, 0, 1);                                   // [1, NumWs, WDim]
        using var blender = new DomainBlender(source);
        var images = blender.RenderSideBySide([d1, d2], 1f, w);
        int r = source.Config.ImgResolution;
        Assert.Equal(new long[] { 3, 3, r, r }, images.shape);
        Assert.True(images.narrow(0, 0, 1).SameAs(Render(source, w)));
        Assert.True(images.narrow(0, 1, 1).SameAs(Render(d1, w)));
        Assert.True(images.narrow(0, 2, 1).SameAs(Render(d2, w)));
    }

    [Fact]
    public void ABlendSessionRendersFromFilesAndChecksTheLatent()
    {
        using var scratch = new Checkpoints.CheckpointTestFiles.Scratch();
        using var scope = NewDisposeScope();
        using var source = EditTestData.LoadGenerator();
        using var adapted = EditTestData.Perturbed(source, 0.05f, seed: 6);
        string domainFile = GeneratorLoader.Save(adapted, scratch.File("domain"));
        var w = Latents(source).narrow(0, 0, 1).contiguous();
        string latent = scratch.File("latent.safetensors");
        LatentFile.Save(latent, w, GeneratorIdentity.Of(source, "source.pt"));

        using (var session = new BlendSession(EditTestData.GeneratorFile, [domainFile], latent))
        {
            Assert.True(session.Render(1f, includeSource: false).SameAs(Render(adapted, w)));
            var both = session.Render(0f);
            Assert.Equal(2, both.shape[0]);
            Assert.True(both.narrow(0, 0, 1).SameAs(both.narrow(0, 1, 1)), "alpha 0 renders the source");
            Assert.NotEmpty(session.RenderPng(0.5f));
        }
        string otherLatent = scratch.File("other.safetensors");
        LatentFile.Save(otherLatent, w, GeneratorIdentity.Of(adapted, "domain.safetensors"));
        var e = Assert.Throws<LatentMismatchException>(() => new BlendSession(EditTestData.GeneratorFile, [domainFile], otherLatent));
        Assert.Contains("domain.safetensors", e.Message);
        Assert.Contains("stylegan2_rosinality.pt", e.Message);
    }

    [Fact]
    public void AnotherArchitectureCannotBeBlended()
    {
        using var source = EditTestData.LoadGenerator();
        using var other = new StyleGan2Generator(StyleGan2Config.Tiny(16));
        using var blender = new DomainBlender(source);
        var e = Assert.Throws<ArgumentException>(() => blender.Blend(other, 0.5f));
        Assert.Contains("architecture", e.Message);
        Assert.Throws<ArgumentException>(() => blender.Blend(source, float.NaN));
    }
}
