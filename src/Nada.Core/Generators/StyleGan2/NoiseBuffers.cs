using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>The constant noise images, buffers <c>noise_0</c> ... <c>noise_{n-1}</c>, one per styled conv.</summary>
public sealed class NoiseBuffers : nn.Module
{
    /// <summary>Creates random noise buffers for <paramref name="config"/>.</summary>
    public NoiseBuffers(StyleGan2Config config) : base("noises")
    {
        Count = config.NumConvLayers;
        for (int i = 0; i < Count; i++)
        {
            int res = 1 << ((i + 5) / 2); // 4, 8, 8, 16, 16, ...
            register_buffer($"noise_{i}", randn(1, 1, res, res));
        }
    }

    /// <summary>Number of noise buffers.</summary>
    public int Count { get; }

    /// <summary>The buffers in layer order, [1, 1, res, res] each.</summary>
    public Tensor[] All()
    {
        var byName = named_buffers().ToDictionary(b => b.name, b => b.buffer);
        var result = new Tensor[Count];
        for (int i = 0; i < Count; i++) result[i] = byName[$"noise_{i}"];
        return result;
    }
}
