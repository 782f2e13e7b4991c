using Nada.Core.Adaptation.Compact;
using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Imaging;
using Nada.Core.Scheduling;
using static TorchSharp.torch;

namespace Nada.Core.Service.Torch;

/// <summary>
/// Samples generators with TorchSharp, as interactive work of the broker: z from NumPy-compatible seeds, truncation
/// toward the average w, constant noise. The last generator used stays loaded (keyed by path, write time and device),
/// with its identity, so repeated sampling of one domain does not reload it; compact domains of a mix stay loaded too
/// (keyed by path and write time). A StyleGAN3 generator can be sampled translated and rotated (its input transform, set
/// for the call and restored after).
/// </summary>
public sealed class TorchDomainSampler(GpuBroker broker) : IDomainSampler, IDisposable
{
    private readonly Lock _gate = new();
    private (string Key, StyleGenerator Generator, Lazy<GeneratorIdentity> Identity)? _cached;
    private readonly Dictionary<string, CompactDomain> _compact = [];

    /// <summary>Compact domains kept loaded at most.</summary>
    public const int CompactCacheSize = 32;

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default) =>
        SamplePngAsync(generatorFile, seeds, truncationPsi, null, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, InputTransform? transform,
        CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Sample(generatorFile, [], seeds, truncationPsi, transform), ct);

    /// <inheritdoc />
    public bool SupportsInputTransform(string generatorFile)
    {
        try
        {
            return File.Exists(generatorFile)
                && SafeTensorsFile.ReadMetadata(generatorFile) is { } meta
                && meta.TryGetValue("format", out var tag) && tag == NadaFormat.StyleGan3FormatTag;
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            return false;       // unreadable: sampling will name the problem
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> SampleMixPngAsync(string baseGeneratorFile, IReadOnlyList<DomainWeight> domains, IReadOnlyList<int> seeds,
        float truncationPsi, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Sample(baseGeneratorFile, domains, seeds, truncationPsi), ct);

    private IReadOnlyList<byte[]> Sample(string generatorFile, IReadOnlyList<DomainWeight> domains, IReadOnlyList<int> seeds, float truncationPsi,
        InputTransform? transform = null)
    {
        lock (_gate)
        {
            var (generator, identity) = Load(generatorFile);
            bool moved = transform is not null && transform != InputTransform.Identity;
            if (moved && generator is not StyleGan3Generator)
                throw new ArgumentException(
                    $"Translation and rotation need a StyleGAN3 generator; '{Path.GetFileName(generatorFile)}' is {generator.Config.Family}. Sample it without them.");
            // Restored after rendering: the cached generator keeps its stored transform (and its identity hash).
            using var transformLease = moved ? ((StyleGan3Generator)generator).UseInputTransform(transform!) : null;
            if (domains.Count > CompactCacheSize)
                throw new ArgumentException($"A mix takes at most {CompactCacheSize} compact domains (got {domains.Count}).");
            if (_compact.Count + domains.Count > CompactCacheSize)
                ClearCompact();                 // before loading, so no domain of this mix is freed while in use
            var parts = domains.Select(d => (LoadCompact(d.File), d.Alpha)).ToList();
            using var lease = parts.Count == 0 ? null : DomainMix.Apply(generator, identity.Value, parts);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(seeds, generator.Config.ZDim).to(generator.LatentAvg.device);   // [N, ZDim]
            var images = generator.Generate(z, truncationPsi, NoiseMode.Const);                           // [N, 3, H, W]
            return ImageEncoder.ToPngs(images.cpu());
        }
    }

    private (StyleGenerator Generator, Lazy<GeneratorIdentity> Identity) Load(string path)
    {
        var device = EngineDevice.Current;
        string key = $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}|{device}";
        if (_cached is { } c && c.Key == key)
            return (c.Generator, c.Identity);
        _cached?.Generator.Dispose();
        _cached = null;
        var generator = GeneratorLoader.LoadGenerator(path).ToDevice(device);
        var identity = new Lazy<GeneratorIdentity>(() => GeneratorIdentity.Of(generator, Path.GetFileName(path)));
        _cached = (key, generator, identity);
        return (generator, identity);
    }

    private CompactDomain LoadCompact(string path)
    {
        string key = $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}";
        if (_compact.TryGetValue(key, out var domain)) return domain;
        domain = CompactDomainFile.Load(path);
        _compact[key] = domain;
        return domain;
    }

    private void ClearCompact()
    {
        foreach (var d in _compact.Values) d.Dispose();
        _compact.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _cached?.Generator.Dispose();
            _cached = null;
            ClearCompact();
        }
    }
}
