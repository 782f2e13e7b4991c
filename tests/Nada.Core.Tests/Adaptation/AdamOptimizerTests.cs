using Nada.Core.Adaptation;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Adaptation;

/// <summary>Our Adam against TorchSharp's (LibTorch's) Adam, and its handling of parameters without gradients.</summary>
public sealed class AdamOptimizerTests
{
    [Theory]
    [InlineData(0.0, 0.99)]
    [InlineData(0.9, 0.999)]
    public void MatchesLibTorchAdamWhenEveryParameterHasAGradient(double beta1, double beta2)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var a = nn.Linear(5, 3);
        var b = nn.Linear(5, 3);
        b.load_state_dict(a.state_dict());
        var ours = new AdamOptimizer(a.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 0.0016, beta1, beta2);
        var theirs = optim.Adam(b.parameters(), lr: 0.0016, beta1: beta1, beta2: beta2, eps: 1e-8);
        for (int step = 0; step < 4; step++)
        {
            var x = randn(7, 5);
            ours.ZeroGrad();
            a.forward(x).pow(2).sum().backward();
            ours.Step();
            theirs.zero_grad();
            b.forward(x).pow(2).sum().backward();
            theirs.step();
        }
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True((pa - pb).abs().max().item<float>() < 1e-6, $"{name} differs from LibTorch's Adam");
        ours.Dispose();
    }

    [Fact]
    public void ParametersWithoutGradientKeepTheirValueAndState()
    {
        using var scope = NewDisposeScope();
        var p1 = ones(3).requires_grad_(true);
        var p2 = ones(3).requires_grad_(true);
        using var adam = new AdamOptimizer([("p1", p1), ("p2", p2)], 0.1, 0, 0.99);
        (p1 * 2).sum().backward();
        adam.Step();
        Assert.Equal(0.0, (p2 - 1).abs().max().item<float>());
        var (_, steps) = adam.ExportState();
        Assert.Equal(new Dictionary<string, long> { ["p1"] = 1 }, steps);
        // First step with beta1 = 0 is lr * sign(g).
        Assert.True((p1 - 0.9).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void StateRoundTripsThroughExportAndImport()
    {
        using var scope = NewDisposeScope();
        var p = tensor(new float[] { 1, 2, 3 }).requires_grad_(true);
        var q = p.detach().clone().requires_grad_(true);
        using var a = new AdamOptimizer([("p", p)], 0.01, 0.5, 0.9);
        using var b = new AdamOptimizer([("p", q)], 0.01, 0.5, 0.9);
        for (int i = 0; i < 2; i++)
        {
            a.ZeroGrad(); (p * p).sum().backward(); a.Step();
        }
        var (t, s) = a.ExportState();
        using (no_grad()) q.copy_(p);
        b.ImportState(t, s);
        a.ZeroGrad(); (p * p).sum().backward(); a.Step();
        b.ZeroGrad(); (q * q).sum().backward(); b.Step();
        Assert.Equal(p.data<float>().ToArray(), q.data<float>().ToArray());
    }

    [Fact]
    public void LossScaledGradientsGiveTheUnscaledUpdate()
    {
        using var scope = NewDisposeScope();
        var p = tensor(new float[] { 1, -2, 3 }).requires_grad_(true);
        var q = p.detach().clone().requires_grad_(true);
        using var plain = new AdamOptimizer([("p", p)], 0.01, 0.9, 0.99);
        using var scaled = new AdamOptimizer([("p", q)], 0.01, 0.9, 0.99) { LossScale = 1024 };
        for (int i = 0; i < 3; i++)
        {
            plain.ZeroGrad(); (p * p).sum().backward(); Assert.True(plain.Step());
            scaled.ZeroGrad(); ((q * q).sum() * scaled.LossScale).backward(); Assert.True(scaled.Step());
        }
        Assert.True((p - q).abs().max().item<float>() < 1e-6, "unscaling must give the same update as no scaling");
        Assert.Equal(1024.0, scaled.ExportState().Tensors[AdamOptimizer.LossScaleKey].item<double>());
    }

    [Fact]
    public void NonFiniteGradientSkipsTheStepAndHalvesTheScaleEvenAtScaleOne()
    {
        using var scope = NewDisposeScope();
        var p = ones(2).requires_grad_(true);
        using var adam = new AdamOptimizer([("p", p)], 0.1, 0, 0.99) { LossScale = 2 };
        foreach (var expected in new[] { 1.0, 0.5 })
        {
            adam.ZeroGrad();
            (p * float.PositiveInfinity).sum().backward();
            Assert.False(adam.Step());
            Assert.Equal(expected, adam.LossScale);                   // halved; the check stays on below 2
        }
        Assert.Equal(new float[] { 1, 1 }, p.data<float>().ToArray());
        Assert.Equal(2, adam.SkippedSteps);
        Assert.Empty(adam.ExportState().Steps);                       // no state advanced
    }
}
