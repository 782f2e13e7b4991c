namespace Nada.Core.Generators;

/// <summary>Where the per-layer noise images of a synthesis pass come from.</summary>
public enum NoiseMode
{
    /// <summary>Fresh N(0, 1) noise for every call and every sample.</summary>
    Random,
    /// <summary>The generator's stored noise buffers (deterministic; the reference's parity setting).</summary>
    Const,
    /// <summary>No noise (zeros).</summary>
    None,
}
