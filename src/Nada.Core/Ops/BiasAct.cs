using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// Bias + activation + gain + clamp, in that order (NVIDIA's <c>bias_act</c> for the two activations
/// StyleGAN2 uses). The leaky ReLU's default gain sqrt(2) keeps the signal's second moment. The bias is cast to the
/// input's dtype; every intermediate is released as soon as the next one exists (see the engine README's dispose-scope rule).
/// </summary>
public static class BiasAct
{
    /// <summary>Default leaky ReLU slope of StyleGAN.</summary>
    public const float LeakyReluAlpha = 0.2f;

    /// <summary>Default gain of the leaky ReLU: sqrt(2).</summary>
    public static readonly float LeakyReluGain = MathF.Sqrt(2f);

    /// <summary>
    /// <c>clamp(leaky_relu(x + b, alpha) * gain, -clamp, clamp)</c>, the bias broadcast along
    /// <paramref name="dim"/> (the channel axis).
    /// </summary>
    /// <param name="x">Input, e.g. [N, C, H, W] or [N, C] (not disposed).</param>
    /// <param name="bias">[C] or null.</param>
    /// <param name="alpha">Negative slope.</param>
    /// <param name="gain">Multiplies the activation's output; null = sqrt(2).</param>
    /// <param name="clamp">Clamps the result to [-clamp, clamp]; null = no clamp.</param>
    /// <param name="dim">Axis of the bias.</param>
    public static Tensor LeakyRelu(Tensor x, Tensor? bias, float alpha = LeakyReluAlpha, float? gain = null,
        float? clamp = null, int dim = 1)
    {
        using var scope = NewDisposeScope();
        var y = bias is null ? x : scope.Keep(x + AlongDim(bias, x, dim));
        y = scope.Keep(nn.functional.leaky_relu(y, alpha));
        y = scope.Keep(y * (gain ?? LeakyReluGain));
        if (clamp is float c) y = scope.Keep(y.clamp(-c, c));
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="LeakyRelu"/> computed in <paramref name="x"/>'s own memory (no new feature map): only for a tensor the
    /// caller created and that no autograd graph records (gradients off), e.g. in no-grad sampling. Returns x.
    /// </summary>
    public static Tensor LeakyReluInPlace(Tensor x, Tensor? bias, float alpha = LeakyReluAlpha, float? gain = null,
        float? clamp = null, int dim = 1)
    {
        using var scope = NewDisposeScope();
        if (bias is not null) x.add_(AlongDim(bias, x, dim));
        x.leaky_relu_(alpha);
        x.mul_(gain ?? LeakyReluGain);
        if (clamp is float c) x.clamp_(-c, c);
        return x;
    }

    /// <summary><c>clamp((x + b) * gain, -clamp, clamp)</c>: the linear "activation".</summary>
    public static Tensor Linear(Tensor x, Tensor? bias, float gain = 1f, float? clamp = null, int dim = 1)
    {
        using var scope = NewDisposeScope();
        var y = bias is null ? x.alias() : scope.Keep(x + AlongDim(bias, x, dim));
        if (gain != 1f) y = scope.Keep(y * gain);
        if (clamp is float c) y = scope.Keep(y.clamp(-c, c));
        return y.MoveToOuterDisposeScope();
    }

    private static Tensor AlongDim(Tensor bias, Tensor x, int dim)
    {
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[dim] = bias.numel();
        return bias.to(x.dtype).reshape(shape);
    }
}
