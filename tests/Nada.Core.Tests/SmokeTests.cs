using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests;

public class SmokeTests
{
    [Fact]
    public void ConvBackwardRuns()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var x = randn(2, 3, 8, 8, requires_grad: true);
        var y = conv.forward(x).sum();
        y.backward();
        Assert.NotNull(x.grad);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, x.grad!.shape);
    }
}
