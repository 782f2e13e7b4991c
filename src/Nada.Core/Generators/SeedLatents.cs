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
    /// Parses a seed list such as "0-15", "1,5,9" or "0-3,10": ranges inclusive.
    /// Throws <see cref="FormatException"/> naming the bad part.
    /// </summary>
    public static IReadOnlyList<int> Parse(string spec)
    {
        var seeds = new List<int>();
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = raw.IndexOf('-', 1);
            if (dash > 0)
            {
                if (!int.TryParse(raw[..dash], out var a) || !int.TryParse(raw[(dash + 1)..], out var b) || a < 0 || b < a)
                    throw new FormatException($"Bad seed range '{raw}': expected A-B with 0 <= A <= B.");
                if ((long)b - a >= 100_000) throw new FormatException($"Seed range '{raw}' is too long (at most 100000 seeds).");
                for (int s = a; s <= b; s++) seeds.Add(s);
            }
            else
            {
                if (!int.TryParse(raw, out var s) || s < 0)
                    throw new FormatException($"Bad seed '{raw}': expected a non-negative integer.");
                seeds.Add(s);
            }
        }
        if (seeds.Count == 0) throw new FormatException($"No seeds in '{spec}'.");
        return seeds;
    }
}
