using static TorchSharp.torch;

namespace Nada.Core.Ops;

/// <summary>
/// Loss scaling for half-precision backward passes, for loops that use a TorchSharp optimiser (editing, inversion;
/// the trainer's own Adam does the same in <see cref="Adaptation.AdamOptimizer"/>): float16 activation gradients of
/// order 1e-8 underflow, so the loss is multiplied by <see cref="Scale"/> before <c>backward()</c> and the parameters'
/// gradients divided by it before the optimiser steps; a step whose gradients are not all finite is skipped and halves
/// the scale (PyTorch's <c>GradScaler</c> without growth). An inactive scaler (float32, bfloat16) does nothing and never synchronises.
/// </summary>
public sealed class GradientScaler
{
    /// <summary>The scale for a compute precision: <paramref name="fp16Scale"/> for float16, 1 otherwise (bfloat16 has float32's range).</summary>
    public static GradientScaler For(ScalarType? computeDtype, double fp16Scale = 1024) =>
        computeDtype == ScalarType.Float16 ? new(fp16Scale) : new(1, active: false);

    /// <summary>Creates a scaler with the given initial scale; <paramref name="active"/> false does nothing at all (no checks).</summary>
    public GradientScaler(double scale, bool active = true)
    {
        Scale = scale > 0 && double.IsFinite(scale) ? scale : throw new ArgumentException($"A loss scale must be positive and finite, got {scale}.");
        Active = active;
    }

    /// <summary>Whether the scaler scales and checks (false: a no-op, for float32 and bfloat16).</summary>
    public bool Active { get; }

    /// <summary>The current scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Steps skipped for non-finite gradients.</summary>
    public int Skipped { get; private set; }

    /// <summary>The loss to call <c>backward()</c> on: <paramref name="loss"/> times <see cref="Scale"/>.</summary>
    public Tensor Scaled(Tensor loss) => !Active || Scale == 1 ? loss : loss * Scale;

    /// <summary>
    /// Divides the gradients of <paramref name="parameters"/> by <see cref="Scale"/> in place. Returns false (after
    /// halving the scale) when a gradient is not finite: the caller skips the optimiser step.
    /// </summary>
    public bool Unscale(IEnumerable<Tensor> parameters)
    {
        if (!Active) return true;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count > 0 && !stack(grads.Select(g => isfinite(g).all()).ToList()).all().item<bool>())
        {
            Scale /= 2;
            Skipped++;
            return false;
        }
        if (Scale != 1) foreach (var g in grads) g.div_(Scale);
        return true;
    }
}
