using System.Diagnostics;
using Nada.Core.Generators;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>Measures CPU time per image for the parity generator (batch 8, after warm-up); reports, bounds loosely.</summary>
[Collection(nameof(SamplingLeakTests))]
public class SamplingTimingTests(ITestOutputHelper log)
{
    [Fact]
    public void ParityGeneratorSamplingCost()
    {
        using var g = GeneratorLoader.LoadGenerator(Sg2TestData.File("stylegan2_rosinality.pt"));
        var proc = Process.GetCurrentProcess();
        double Measure(int batches)
        {
            for (int i = 0; i < 2; i++) Step(i);                  // warm-up
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < batches; i++) Step(i);
            proc.Refresh();
            var cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
            log.WriteLine($"{batches} batches of 8: {cpu / (batches * 8):F4} CPU s/image, {sw.Elapsed.TotalSeconds / (batches * 8):F4} wall s/image, torch threads {get_num_threads()}");
            return cpu / (batches * 8);
        }
        void Step(int i)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(Enumerable.Range(i * 8, 8).ToList(), g.Config.ZDim);
            g.Generate(z, 0.7f, NoiseMode.Const);
        }
        var perImage = Measure(5);
        Assert.True(perImage < 2.0, $"{perImage} CPU s per 64 px image");
    }
}
