using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>Builds the CLIP losses of a request: loads the models, and for image-guided runs the target images and source samples.</summary>
public static class AdaptationLossFactory
{
    /// <summary>Loads the request's CLIP models on <paramref name="device"/>, in the run's CLIP precision (see <see cref="AdaptationOptions.Precision"/>), and builds its losses.</summary>
    /// <param name="request">The run.</param>
    /// <param name="frozen">The source generator, for the source samples of an image-guided direction.</param>
    /// <param name="device">Where the models run.</param>
    /// <param name="skipped">Style images that could not be read.</param>
    public static ClipAdaptationLoss Create(AdaptationRequest request, StyleGenerator frozen, Device device, List<SkippedImage> skipped)
    {
        var o = request.Options;
        var ensemble = ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(Dtype: o.PlanFor(device).Clip.DType(), Device: device));
        try
        {
            var losses = CreateLossSet(ensemble, request, frozen, device, skipped);
            return new ClipAdaptationLoss(ensemble, losses, string.IsNullOrWhiteSpace(request.TargetText) ? null : request.TargetText);
        }
        catch
        {
            ensemble.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The request's losses over an ensemble loaded already (not owned), toward <see cref="AdaptationRequest.TargetText"/>:
    /// a compact job with several targets builds one set per target over one ensemble.
    /// </summary>
    public static ClipLossSet CreateLossSet(ClipEnsemble ensemble, AdaptationRequest request, StyleGenerator frozen, Device device, List<SkippedImage> skipped)
    {
        var o = request.Options;
        var weights = new ClipLossWeights(o.LambdaDirection, o.LambdaGlobal, o.LambdaPatch, o.LambdaManifold, o.LambdaTexture, o.LambdaAngle);
        using var scope = NewDisposeScope();
        Tensor? targets = null, sources = null;
        if (request.StyleImagePaths.Count > 0)
        {
            targets = StyleImageLoader.Load(request.StyleImagePaths, frozen.Config.ImgResolution, skipped).to(device);   // [K, 3, R, R]
            sources = SourceSamples(frozen, o, device);                                                                  // [M, 3, R, R]
        }
        var options = new ClipLossOptions(
            TargetImages: o.LambdaDirection > 0 ? targets : null,
            SourceImages: o.LambdaDirection > 0 ? sources : null,
            ImageDirectionWeight: 1 - o.TextDirectionWeight,
            StyleImages: o.LambdaTexture > 0 ? targets : null,
            Seed: o.Seed);
        return new ClipLossSet(ensemble, weights, request.SourceText, request.TargetText, options);
    }

    private static Tensor SourceSamples(StyleGenerator frozen, AdaptationOptions o, Device device)
    {
        using var noGrad = no_grad();
        using var gen = new TorchSharp.torch.Generator((ulong)(o.Seed + 7919));
        var z = randn([o.ImageDirectionSamples, frozen.Config.ZDim], generator: gen).to(device);
        return frozen.Generate(z, 1f, NoiseMode.Const);
    }
}
