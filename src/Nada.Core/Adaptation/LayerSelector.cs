using Nada.Core.Ops;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>The outcome of adaptive layer selection.</summary>
/// <param name="Weights">Mean |change| of each W+ entry after the SGD iterations, [NumWs] on the host.</param>
/// <param name="Chosen">The top-k W+ indices, largest change first.</param>
public sealed record LayerSelection(float[] Weights, int[] Chosen);

/// <summary>
/// Adaptive layer freezing (StyleGAN-NADA section 4.2): W+ = mapping(z) repeated for every entry; a few SGD
/// steps on W+ minimise the global CLIP loss of the trainable generator's images; the entries that moved
/// most (mean |W+ - W+_0| over batch and channels) are the layers worth training this step.
/// </summary>
public static class LayerSelector
{
    /// <summary>Scores every W+ entry and returns the top <paramref name="k"/>.</summary>
    /// <param name="frozen">Supplies the mapping network (no gradient).</param>
    /// <param name="trainable">Renders W+; its parameters get no gradient here.</param>
    /// <param name="loss">Supplies the global loss.</param>
    /// <param name="z">[B, ZDim] latents of the selection batch.</param>
    /// <param name="iterations">SGD iterations.</param>
    /// <param name="learningRate">SGD learning rate on W+.</param>
    /// <param name="k">How many entries to choose.</param>
    /// <param name="noise">Noise mode of the renders.</param>
    /// <param name="noiseGenerator">Source of random noise (null: the global generator).</param>
    /// <param name="lossScale">Factor the loss is multiplied by before the gradient and the gradient divided by after it
    /// (float16 synthesis: keeps the activation gradients above float16's underflow); 1 = none.</param>
    public static LayerSelection Select(StyleGenerator frozen, StyleGenerator trainable, IAdaptationLoss loss,
        Tensor z, int iterations, double learningRate, int k, NoiseMode noise, Generator? noiseGenerator = null, double lossScale = 1)
    {
        using var scope = NewDisposeScope();
        int numWs = trainable.Config.NumWs;
        Tensor initial;
        using (no_grad())
            initial = frozen.Mapping(z).unsqueeze(1).repeat(1, numWs, 1);   // [B, NumWs, WDim]
        var w = initial.clone().requires_grad_(true);
        var saved = trainable.parameters().Select(p => (p, p.requires_grad)).ToList();
        try
        {
            foreach (var (p, _) in saved)
                p.requires_grad_(false);
            for (int i = 0; i < iterations; i++)
            {
                using var step = NewDisposeScope();
                var images = trainable.Synthesis(w, noise, noiseGenerator);              // [B, 3, H, W]
                var l = loss.GlobalLoss(images);
                if (lossScale != 1) l = l * lossScale;
                step.Keep(l, w);                                        // autograd keeps what it needs
                var grad = torch.autograd.grad([l], [w])[0];
                if (lossScale != 1) grad = grad / lossScale;
                using (no_grad())
                    w.sub_(grad * learningRate);                          // plain SGD, as torch.optim.SGD without momentum
            }
        }
        finally
        {
            foreach (var (p, flag) in saved)
                p.requires_grad_(flag);
        }
        using (no_grad())
        {
            var weights = (w - initial).abs().mean([-1]).mean([0]);       // [NumWs]
            var top = weights.topk(k).indexes;
            return new LayerSelection(weights.data<float>().ToArray(), top.data<long>().Select(i => (int)i).ToArray());
        }
    }
}
