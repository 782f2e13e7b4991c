namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>The formats <see cref="Generators.GeneratorLoader.LoadGenerator"/> reads.</summary>
public enum GeneratorFormat
{
    /// <summary>Our format: safetensors (rosinality names for StyleGAN2, NVIDIA's for StyleGAN3) plus a JSON config.</summary>
    Nada,
    /// <summary>rosinality stylegan2-pytorch / StyleGAN-NADA checkpoint (<c>{"g_ema": state_dict, "latent_avg"}</c>).</summary>
    Rosinality,
    /// <summary>NVIDIA stylegan2-ada-pytorch pickle (<c>G_ema</c>).</summary>
    NvidiaAdaPytorch,
    /// <summary>NVIDIA TensorFlow StyleGAN2 pickle (<c>(G, D, Gs)</c> networks).</summary>
    NvidiaTensorFlow,
    /// <summary>NVIDIA stylegan3 pickle (<c>G_ema</c>, configs T and R).</summary>
    NvidiaStyleGan3,
}
