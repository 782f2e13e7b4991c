using Nada.Core.Adaptation.Compact;
using Nada.Core.Editing;
using Nada.Core.Evaluation;
using Nada.Core.Generators;
using Nada.Core.Runs;
using Nada.Core.Scheduling;
using Nada.Core.Service.Torch;
using Nada.Core.Tests.Checkpoints;
using Nada.Core.Tests.Infrastructure;
using static Nada.Core.Tests.Compact.CompactTestData;

namespace Nada.Core.Tests.Compact;

/// <summary>The web's entry points for compact domains: mix sampling and evaluation through the broker.</summary>
public sealed class CompactServiceTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();

    private string RandomDomainFile(string name, int seed)
    {
        using var g = GeneratorLoader.LoadGenerator(BaseFile);
        using var d = RandomDomain(g, GeneratorIdentity.Of(g, "stylegan2_rosinality.pt"), seed, target: name);
        string file = _scratch.File(name + ".safetensors");
        CompactDomainFile.Save(file, d);
        return file;
    }

    [Fact]
    public async Task TheSamplerRendersMixesThroughTheBroker()
    {
        using var broker = new GpuBroker(["cpu"]);
        using var sampler = new TorchDomainSampler(broker);
        string a = RandomDomainFile("a", 1), b = RandomDomainFile("b", 2);
        int[] seeds = [3, 4];
        var plain = await sampler.SamplePngAsync(BaseFile, seeds, 0.7f);
        var zero = await sampler.SampleMixPngAsync(BaseFile, [new DomainWeight(a, 0f), new DomainWeight(b, 0f)], seeds, 0.7f);
        var mixed = await sampler.SampleMixPngAsync(BaseFile, [new DomainWeight(a, 1f), new DomainWeight(b, -0.5f)], seeds, 0.7f);
        var empty = await sampler.SampleMixPngAsync(BaseFile, [], seeds, 0.7f);
        Assert.Equal(plain, zero);
        Assert.Equal(plain, empty);
        Assert.NotEqual(plain[0], mixed[0]);
        // the mix leaves nothing behind on the cached generator
        Assert.Equal(plain, await sampler.SamplePngAsync(BaseFile, seeds, 0.7f));
        var e = await Assert.ThrowsAsync<DomainMismatchException>(() => sampler.SampleMixPngAsync(OtherFile, [new DomainWeight(a)], seeds, 0.7f));
        Assert.Contains("sg2ada.pkl", e.Message);
    }

    [Fact]
    public void TheEvaluatorRunsAsABrokerJobAndReportsSamples()
    {
        using var broker = new GpuBroker(["cpu"]);
        var evaluator = new TorchDomainEvaluator(broker);
        var progress = new ListProgress();
        var scores = evaluator.Evaluate(new EvaluationRequest
        {
            GeneratorPath = BaseFile, Domains = [new DomainWeight(RandomDomainFile("c", 3))], ClipPath = ClipFile, TargetText = "sketch",
            Samples = 6, BatchSize = 4,
        }, RunContext.For(progress));
        Assert.Equal([4, 6], progress.Steps);
        Assert.Equal(EvaluatedKind.Compact, scores.Kind);
        Assert.Null(scores.EvaluatorUsedInTraining);          // a domain that records no training CLIPs
        Assert.Contains("unknown", scores.Note);
    }

    public void Dispose() => _scratch.Dispose();
}
