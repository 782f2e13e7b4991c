using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>Generators built or loaded inside a caller's dispose scope must outlive that scope.</summary>
public class ScopeSafetyTests
{
    [Fact]
    public void GeneratorCreatedInsideAScopeSurvivesIt()
    {
        StyleGan2Generator g;
        StyleGan2Generator clone;
        using (NewDisposeScope())
        {
            g = new StyleGan2Generator(StyleGan2Config.Tiny(8));
            clone = g.Clone();
        }
        using (g)
        using (clone)
        using (NewDisposeScope())
        {
            var z = randn(2, g.Config.ZDim);
            Assert.Equal(0.0, Sg2TestData.MaxAbs(g.Generate(z), clone.Generate(z)));
        }
    }

    [Fact]
    public void GeneratorLoadedInsideAScopeSurvivesIt()
    {
        StyleGan2Generator g;
        using (NewDisposeScope())
        {
            g = (StyleGan2Generator)GeneratorLoader.LoadGenerator(Sg2TestData.File("stylegan2_rosinality.pt"));
        }
        using (g)
        using (NewDisposeScope())
        {
            Assert.Equal(new long[] { 1, 3, g.Config.ImgResolution, g.Config.ImgResolution }, g.Generate(randn(1, g.Config.ZDim)).shape);
            Assert.True(g.LatentAvg.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void NonGeneratorCheckpointIsAClearError()
    {
        var path = Sg2TestData.File("clip_openai_tiny_vit.pt");
        var e = Assert.Throws<Core.Checkpoints.CheckpointException>(() => GeneratorLoader.LoadGenerator(path));
        Assert.Contains("clip_openai_tiny_vit.pt", e.Message);
        Assert.Contains("no StyleGAN generator", e.Message);
    }
}
