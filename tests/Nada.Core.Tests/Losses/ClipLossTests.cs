using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Tests.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Losses;

/// <summary>The loss terms, directions and the loss set on the tiny parity CLIP, beyond the reference vectors.</summary>
public sealed class ClipLossTests : IDisposable
{
    private readonly ClipModel model = ClipLoader.Load(ClipParityFiles.File("clip_openai_tiny_vit.pt"));

    public void Dispose() => model.Dispose();

    private static (Tensor Frozen, Tensor Trainable) Images(int n = 2, int size = 64)
    {
        var g = new Generator(7);                                              // private: tests run in parallel
        return (rand(n, 3, size, size, generator: g) * 2 - 1, rand(n, 3, size, size, generator: g) * 2 - 1);
    }

    private ClipLossInputs Inputs(Tensor frozen, Tensor trainable)
    {
        var pre = ClipPreprocessor.For(model);
        return new ClipLossInputs
        {
            Model = model, Preprocessor = pre, FrozenImages = frozen, TrainableImages = trainable,
            FrozenFeatures = model.EncodeImage(pre.Forward(frozen)), TrainableFeatures = model.EncodeImage(pre.Forward(trainable)),
        };
    }

    [Theory]
    [InlineData("photo", "photo")]
    [InlineData("photo", "  Photo ")]
    [InlineData("a photo", "A   photo")]
    [InlineData("photo", "")]
    [InlineData("", "sketch")]
    public void SameOrEmptyTextsAreRejected(string source, string target)
    {
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        var e = Assert.Throws<ArgumentException>(() => new ClipLossSet(ensemble, new ClipLossWeights(), source, target));
        Assert.True(e.Message.Contains("same") || e.Message.Contains("empty"), e.Message);
    }

    [Fact]
    public void AllWeightsZeroOrNegativeAreRejected()
    {
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        var e = Assert.Throws<ArgumentException>(() => new ClipLossSet(ensemble, new ClipLossWeights(Directional: 0), "photo", "sketch"));
        Assert.Contains("weight is 0", e.Message);
        Assert.Throws<ArgumentException>(() => new ClipLossSet(ensemble, new ClipLossWeights(Global: -1), "photo", "sketch"));
        Assert.Throws<ArgumentException>(() => new ClipEnsemble([(model, 0f)], ownsModels: false));
        Assert.Throws<ArgumentException>(() => new ClipEnsemble([], ownsModels: false));
    }

    [Fact]
    public void TextureWithoutStyleImageIsRejected()
    {
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        var e = Assert.Throws<ArgumentException>(() => new ClipLossSet(ensemble, new ClipLossWeights(Texture: 1), "photo", "sketch"));
        Assert.Contains("style image", e.Message);
    }

    [Fact]
    public void EveryTermIsFiniteAndDifferentiableInOneSet()
    {
        using var scope = NewDisposeScope();
        var (frozen, trainable) = Images();
        trainable.requires_grad_(true);
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        var style = rand(1, 3, 48, 80) * 2 - 1;
        using var set = new ClipLossSet(ensemble, new ClipLossWeights(1, 0.5f, 0.5f, 0.5f, 0.5f), "photo", "sketch",
            new ClipLossOptions(StyleImages: style, PatchSize: 32, Seed: 1));
        var result = set.Forward(frozen, trainable);
        Assert.Equal(new[] { "directional", "global", "manifold", "patch", "texture" }, result.Terms.Keys.Order());
        var sum = result.Terms.Values.Aggregate((a, b) => a + b);
        Assert.True(sum.allclose(result.Total, rtol: 1e-6, atol: 1e-6));
        Assert.All(result.Terms.Values, t => Assert.True(t.isfinite().item<bool>()));
        result.Total.backward();
        Assert.True(trainable.grad!.isfinite().all().item<bool>());
        Assert.True(trainable.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void EnsembleWeightsScaleTheTotal()
    {
        using var scope = NewDisposeScope();
        var (frozen, trainable) = Images();
        using var one = new ClipEnsemble([(model, 1f)], ownsModels: false);
        using var two = new ClipEnsemble([(model, 1f), (model, 0.5f)], ownsModels: false);
        using var a = new ClipLossSet(one, new ClipLossWeights(Directional: 1, Global: 2), "photo", "sketch");
        using var b = new ClipLossSet(two, new ClipLossWeights(Directional: 1, Global: 2), "photo", "sketch");
        var la = a.Forward(frozen, trainable).Total;
        var lb = b.Forward(frozen, trainable).Total;
        Assert.True((lb - 1.5 * la).abs().item<float>() < 1e-5f);
    }

    [Fact]
    public void IdenticalImagesOnTheFirstCallGiveAFiniteDirectionalLossAndGradient()
    {
        using var scope = NewDisposeScope();
        var (frozen, _) = Images();
        var trainable = frozen.clone().requires_grad_(true);
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        using var set = new ClipLossSet(ensemble, new ClipLossWeights(), "photo", "sketch");
        var loss = set.Forward(frozen, trainable).Total;
        loss.backward();
        Assert.True(loss.isfinite().item<bool>());
        Assert.InRange(loss.item<float>(), 0f, 2f);
        Assert.True(trainable.grad!.isfinite().all().item<bool>());

        // As the reference: the trainable images are shifted by 1e-6 for the directional term.
        var pre = ClipPreprocessor.For(model);
        using var direction = new TextDirection(model, "photo", "sketch");
        var want = DirectionalClipLoss.Compute(model.EncodeImage(pre.Forward(frozen)), model.EncodeImage(pre.Forward(frozen + 1e-6)), direction.Value);
        Assert.True((loss - want).abs().item<float>() < 1e-5f, $"{loss.item<float>()} vs {want.item<float>()}");
    }

    [Fact]
    public void ManifoldLossOfIdenticalImagesIsOneMinusTextCosine()
    {
        using var scope = NewDisposeScope();
        var (frozen, _) = Images();
        using var loss = new ManifoldAngleLoss(model, "photo", "sketch");
        var value = loss.Forward(Inputs(frozen, frozen)).item<float>();
        var s = TextDirection.MeanTemplateFeature(model, "photo", PromptTemplates.ImageNet);
        var t = TextDirection.MeanTemplateFeature(model, "sketch", PromptTemplates.ImageNet);
        var want = 1 - (s * t).sum().item<float>();
        Assert.True(Math.Abs(value - want) < 1e-5, $"{value} vs {want}");
    }

    [Fact]
    public void TextureLossIsZeroForTheStyleImageItself()
    {
        using var scope = NewDisposeScope();
        var (frozen, trainable) = Images(n: 1);
        using var loss = new TextureLoss(model, trainable);
        Assert.True(loss.Forward(Inputs(frozen, trainable)).item<float>() < 1e-8f);
        Assert.True(loss.Forward(Inputs(trainable, frozen)).item<float>() > 1e-4f);
    }

    [Fact]
    public void PatchDirectionalLossUsesFifteenPartDirections()
    {
        using var scope = NewDisposeScope();
        var (frozen, trainable) = Images(size: 96);
        using var loss = new PatchDirectionalLoss(model, "photo", "sketch", seed: 3);
        Assert.Equal(new long[] { PromptTemplates.Part.Count, model.Config.EmbedDim }, loss.PartDirections.shape);
        Assert.Equal(15, PromptTemplates.Part.Count);
        var norms = loss.PartDirections.norm(1);
        Assert.True((norms - 1).abs().max().item<float>() < 1e-5f);
        var value = loss.Forward(Inputs(frozen, trainable)).item<float>();
        Assert.InRange(value, 0f, 2f);
    }

    [Fact]
    public void ImageDirectionPointsFromSourceToTargetImages()
    {
        using var scope = NewDisposeScope();
        var (source, target) = Images(n: 1);
        var direction = ImageDirection.Compute(model, target, source);
        Assert.True((direction.norm() - 1).abs().item<float>() < 1e-5f);
        using var loss = new DirectionalClipLoss(direction);
        Assert.True(loss.Forward(Inputs(source, target)).item<float>() < 1e-5f);   // the edit is the direction itself
        Assert.True(loss.Forward(Inputs(target, source)).item<float>() > 1.99f);   // the opposite edit
    }

    [Fact]
    public void MixedDirectionInterpolatesTextAndImage()
    {
        using var scope = NewDisposeScope();
        var (source, target) = Images(n: 1);
        var image = ImageDirection.Compute(model, target, source);
        var text = TextDirection.Compute(model, "photo", "sketch", PromptTemplates.ImageNet);
        Assert.True(ImageDirection.Mix(text, image, 0).allclose(text, atol: 1e-6));
        Assert.True(ImageDirection.Mix(text, image, 1).allclose(image, atol: 1e-6));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDirection.Mix(text, image, 1.5));
    }

    [Fact]
    public void ImageGuidedSetWorksWithoutTargetText()
    {
        using var scope = NewDisposeScope();
        var (frozen, trainable) = Images();
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        using var set = new ClipLossSet(ensemble, new ClipLossWeights(), "photo", "",
            new ClipLossOptions(TargetImages: trainable[..1], SourceImages: frozen));
        Assert.True(set.Forward(frozen, trainable).Total.isfinite().item<bool>());
        Assert.Throws<ArgumentException>(() => new ClipLossSet(ensemble, new ClipLossWeights(Global: 1), "photo", "",
            new ClipLossOptions(TargetImages: trainable[..1], SourceImages: frozen)));
    }

    [Fact]
    public void RepeatedStepsLeaveNoLiveTensorsBehind()
    {
        var (frozen, trainable) = Images();
        using var ensemble = new ClipEnsemble([(model, 1f)], ownsModels: false);
        using var set = new ClipLossSet(ensemble, new ClipLossWeights(1, 1, 0, 1), "photo", "sketch");
        void Step()
        {
            using var scope = NewDisposeScope();
            var t = trainable.clone().requires_grad_(true);
            set.Forward(frozen, t).Total.backward();
        }
        Step();                                                                // caches text features
        DisposeScopeManager.Statistics.Reset();
        for (var i = 0; i < 5; i++) Step();
        var stats = DisposeScopeManager.Statistics;
        Assert.True(stats.CreatedInScopeCount > 100, "the steps create tensors in scope");
        Assert.Equal(0L, stats.ThreadTotalLiveCount);
        Assert.Equal(0L, stats.CreatedOutsideScopeCount);
    }
}
