using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>CLIP models of a given architecture with random weights, for benchmarks and tests that need the real shapes but no download.</summary>
public static class RandomClip
{
    /// <summary>
    /// Creates a model of <paramref name="config"/> whose weights are drawn from N(0, 0.02²) (norm weights 1, biases 0,
    /// logit scale as OpenAI's initialisation), seeded; returned frozen, in eval mode, on <paramref name="device"/>
    /// (CPU when null), like a loaded model.
    /// </summary>
    public static ClipModel Create(ClipConfig config, int seed = 0, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var model = new ClipModel(config);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            using var gen = new Generator((ulong)seed);
            foreach (var (name, p) in model.named_parameters())
            {
                if (name == "logit_scale") continue;
                bool isNorm = name.Contains("ln_", StringComparison.Ordinal) || name.Contains(".bn", StringComparison.Ordinal);
                if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
                else if (isNorm && name.EndsWith("weight", StringComparison.Ordinal)) p.fill_(1f);
                else p.copy_(randn(p.shape, generator: gen) * 0.02f);
            }
        }
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
        model.to(dtype);
        if (device is not null) model.to(device);
        return model;
    }
}
