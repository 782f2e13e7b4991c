using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>The random draws of one training step.</summary>
/// <param name="Z">[BatchSize, ZDim] latents.</param>
/// <param name="MixZ">Second latents when this step mixes styles.</param>
/// <param name="MixIndex">First W+ entry taken from <paramref name="MixZ"/>; -1 without mixing.</param>
/// <param name="SelectionZ">[AutoLayerBatch, ZDim] latents of layer selection, when it runs.</param>
/// <param name="Noise">The step's own generator (on the device) for random noise in the synthesis.</param>
public sealed record StepDraws(Tensor Z, Tensor? MixZ, int MixIndex, Tensor? SelectionZ, Generator Noise) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Noise.Dispose();
}

/// <summary>
/// Every random draw of a run derives from (seed, step): latents come from a CPU generator seeded per step
/// (the same numbers on any device), random noise from a generator of the step on the device; nothing uses
/// the process-wide generator, so other work in the process cannot disturb a run. A run resumed at step s
/// therefore draws exactly what the uninterrupted run drew.
/// </summary>
public static class RunRandom
{
    /// <summary>The draws of step <paramref name="step"/> (0-based).</summary>
    public static StepDraws ForStep(AdaptationOptions options, int step, IGeneratorConfig config, Device device, bool selection)
    {
        long seed = StepSeed(options.Seed, step);
        using var gen = new Generator((ulong)seed);
        var z = randn([options.BatchSize, config.ZDim], generator: gen).to(device);
        Tensor? mixZ = null;
        int mixIndex = -1;
        var coin = new Random(unchecked((int)(seed ^ (seed >> 32))));
        if (options.Mixing > 0 && coin.NextDouble() < options.Mixing)
        {
            mixZ = randn([options.BatchSize, config.ZDim], generator: gen).to(device);
            mixIndex = coin.Next(1, config.NumWs);          // [1, NumWs - 1], as the reference's randint(1, n_latent - 1)
        }
        var selectionZ = selection ? randn([options.AutoLayerBatch, config.ZDim], generator: gen).to(device) : null;
        return new StepDraws(z, mixZ, mixIndex, selectionZ, new Generator((ulong)seed, device));
    }

    /// <summary>The fixed latents of the preview grid.</summary>
    public static Tensor PreviewLatents(int seed, int count, int zDim, Device device)
    {
        using var gen = new Generator((ulong)StepSeed(seed, -1));
        return randn([count, zDim], generator: gen).to(device);
    }

    private static long StepSeed(int seed, int step) => ((long)seed * 1_000_003L + step + 1) & 0x7FFF_FFFF_FFFFL;
}
