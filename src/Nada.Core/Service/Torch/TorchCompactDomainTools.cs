using Nada.Core.Adaptation.Compact;
using Nada.Core.Generators;
using Nada.Core.Scheduling;

namespace Nada.Core.Service.Torch;

/// <summary><see cref="DomainMixWriter"/> as interactive work of the broker (a training job waits at most one step).</summary>
public sealed class TorchCompactDomainTools(GpuBroker broker) : ICompactDomainTools
{
    /// <inheritdoc />
    public Task<long> SaveMixAsync(IReadOnlyList<DomainWeight> domains, string outputFile, string sourceText, string targetText, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => DomainMixWriter.Write(domains, outputFile, sourceText, targetText), ct);

    /// <inheritdoc />
    public Task<string> BakeAsync(string baseGeneratorFile, IReadOnlyList<DomainWeight> domains, BakedFormat format, string outputFile, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() =>
        {
            using var generator = DomainMixWriter.Bake(baseGeneratorFile, domains);
            if (format == BakedFormat.Rosinality)
            {
                GeneratorLoader.SaveRosinality(generator, outputFile);
                return outputFile;
            }
            return GeneratorLoader.Save(generator, outputFile);
        }, ct);
}
