using static TorchSharp.torch;

namespace Nada.Core.Generators;

/// <summary>
/// Deterministic latents per seed, equal to NVIDIA's <c>np.random.RandomState(seed).randn(1, z_dim)</c>
/// (computed in float64, returned as float32), so seed N here shows the same image as seed N in
/// stylegan2-ada-pytorch's <c>generate.py</c> for the same network.
/// </summary>
public static class SeedLatents
{
    /// <summary>z [seeds.Count, zDim] (float32, CPU), row i from seeds[i].</summary>
    public static Tensor FromSeeds(IReadOnlyList<int> seeds, int zDim)
    {
        if (zDim <= 0) throw new ArgumentOutOfRangeException(nameof(zDim));
        var data = new float[seeds.Count * zDim];
        for (int i = 0; i < seeds.Count; i++)
        {
            if (seeds[i] < 0) throw new ArgumentOutOfRangeException(nameof(seeds), seeds[i], "Seeds must be >= 0.");
            var rng = new NumpyRandomState((uint)seeds[i]);
            for (int j = 0; j < zDim; j++) data[i * zDim + j] = (float)rng.NextGaussian();
        }
        return tensor(data, [seeds.Count, zDim]);
    }

    /// <summary>
    /// Parses a seed list such as "0-15", "1,5,9" or "0-3,10": ranges inclusive (<see cref="SeedRanges.Parse"/>).
    /// Throws <see cref="FormatException"/> naming the bad part.
    /// </summary>
    public static IReadOnlyList<int> Parse(string spec) => SeedRanges.Parse(spec);
}
