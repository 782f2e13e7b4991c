using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>
/// Folds compact-domain offsets into a StyleGAN2 generator's weights, giving a full generator that renders the mix
/// without offsets (for tools that know nothing of compact domains). A StyleGAN2 modulated convolution computes
/// w * s with s scaled by (1 + d) per input channel before demodulation, which equals scaling the weight's input
/// channels by (1 + d): the baked generator renders what the offsets render (up to float rounding).
/// </summary>
public static class DomainBaker
{
    /// <summary>
    /// Scales, in place, the weight [1, O, I, k, k] of every modulated layer named in <paramref name="offsets"/> by
    /// (1 + d) over I. StyleGAN3 normalises its styles after the offsets apply, so its offsets cannot be baked.
    /// </summary>
    /// <exception cref="NotSupportedException">The generator is not a StyleGAN2.</exception>
    public static void Bake(StyleGenerator generator, IReadOnlyDictionary<string, Tensor> offsets)
    {
        if (generator is not StyleGan2Generator)
            throw new NotSupportedException(
                $"Only StyleGAN2 compact domains can be baked into a full generator; this generator is {generator.Config.Family} " +
                "(its layers normalise the styles after the offsets). Use the compact domain file with its base generator instead.");
        var layers = generator.ModulatedLayers.ToDictionary(l => l.Name);
        var parameters = generator.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, d) in offsets)
        {
            if (!layers.TryGetValue(name, out var layer) || d.dim() != 1 || d.shape[0] != layer.InChannels)
                throw new DomainMismatchException($"The offsets of layer '{name}' do not fit the generator; the domain belongs to another generator.");
            if (!parameters.TryGetValue(name + ".weight", out var weight) || weight.dim() != 5 || weight.shape[2] != layer.InChannels)
                throw new InvalidOperationException($"The modulated layer '{name}' has no weight [1, O, {layer.InChannels}, k, k] to bake into.");
            var scale = (1 + d.to(weight.dtype).to(weight.device)).view(1, 1, -1, 1, 1);   // [1, 1, I, 1, 1]
            weight.mul_(scale);
        }
    }
}
