using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary><see cref="ScopeExtensions.Keep{T}"/> releases a scope's other tensors and never adopts a tensor it does not hold.</summary>
public class ScopeKeepTests
{
    [Fact]
    public void KeepReleasesTheRestAndLeavesForeignTensorsAlone()
    {
        using var outer = NewDisposeScope();
        var input = ones(3);                                   // the caller's
        Tensor kept, dropped;
        using (var inner = NewDisposeScope())
        {
            dropped = input + 1;
            kept = inner.Keep(dropped * 2);
            Assert.True(dropped.IsInvalid);                    // released at once
            inner.Keep(kept, input);                           // input is not the inner scope's
            kept.MoveToOuterDisposeScope();
        }
        Assert.False(input.IsInvalid);                         // TorchSharp's DisposeEverythingBut would have adopted and disposed it
        Assert.Equal(new float[] { 4, 4, 4 }, kept.data<float>().ToArray());
    }
}
