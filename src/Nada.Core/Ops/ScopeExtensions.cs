using TorchSharp;

namespace Nada.Core.Ops;

/// <summary>
/// Releasing intermediates inside a dispose scope (the engine README's dispose-scope rule): after each stage of a
/// forward pass, keep only what the next stage reads.
/// </summary>
public static class ScopeExtensions
{
    /// <summary>
    /// Disposes every tensor the scope holds except <paramref name="keep"/> and returns it. Unlike TorchSharp's
    /// <c>DisposeEverythingBut</c>, a kept tensor that the scope does not hold (the caller's input, a parameter) is not
    /// adopted by the scope, so it is not disposed when the scope ends.
    /// </summary>
    public static T Keep<T>(this DisposeScope scope, T keep) where T : IDisposable
    {
        IEnumerable<IDisposable> kept = scope.Contains(keep) ? new IDisposable[] { keep } : Array.Empty<IDisposable>();
        scope.DisposeEverythingBut(kept);
        return keep;
    }

    /// <summary>Disposes every tensor the scope holds except those in <paramref name="keep"/> (never adopting one it does not hold).</summary>
    public static void Keep(this DisposeScope scope, params IDisposable[] keep) =>
        scope.DisposeEverythingBut((IEnumerable<IDisposable>)keep.Where(scope.Contains).ToArray());
}
