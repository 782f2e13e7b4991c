using System.Diagnostics;
using Nada.Core.Generators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// Measures CPU time per image for the parity generator (batch 8, after warm-up), fused and non-fused modulated
/// convolution, for sampling and for a forward+backward pass. Reports the numbers; the bound is loose (a shared
/// machine), it only catches a pathological slowdown.
/// </summary>
[Collection(nameof(SamplingLeakTests))]
public class SamplingTimingTests(ITestOutputHelper log)
{
    private const int Batch = 8;

    [Fact]
    public void ParityGeneratorSamplingCost()
    {
        using var g = (StyleGan2Generator)GeneratorLoader.LoadGenerator(Sg2TestData.File("stylegan2_rosinality.pt"));
        var proc = Process.GetCurrentProcess();

        double Measure(string what, int batches, Action<int> step)
        {
            for (int i = 0; i < 2; i++) step(i);                  // warm-up
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < batches; i++) step(i);
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds / (batches * Batch);
            log.WriteLine($"{what}: {cpu:F4} CPU s/image, {sw.Elapsed.TotalSeconds / (batches * Batch):F4} wall s/image " +
                          $"({batches} batches of {Batch}, {get_num_threads()} torch threads)");
            return cpu;
        }

        void Sample(int i)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(Enumerable.Range(i * Batch, Batch).ToList(), g.Config.ZDim);
            g.Generate(z, 0.7f, NoiseMode.Const);
        }

        void TrainStep(int i)
        {
            using var scope = NewDisposeScope();
            var z = SeedLatents.FromSeeds(Enumerable.Range(i * Batch, Batch).ToList(), g.Config.ZDim);
            var img = g.Generate(z, 1f, NoiseMode.Const);
            img.square().mean().backward();
            foreach (var p in g.parameters()) p.grad?.zero_();
        }

        double fused = Measure("sampling, fused modconv", 5, Sample);
        Measure("forward+backward, fused modconv", 3, TrainStep);
        g.SetFusedModConv(false);
        Measure("sampling, non-fused modconv", 5, Sample);
        Measure("forward+backward, non-fused modconv", 3, TrainStep);
        Assert.True(fused < 2.0, $"{fused} CPU s per image");
    }
}
