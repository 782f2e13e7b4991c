using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Scheduling;
using static TorchSharp.torch;

namespace Nada.Core.Service.Torch;

/// <summary>
/// Samples generators with TorchSharp, as interactive work of the broker: z from NumPy-compatible seeds, truncation
/// toward the average w, constant noise. The last generator used stays loaded (keyed by path, write time and device),
/// so repeated sampling of one domain does not reload it.
/// </summary>
public sealed class TorchDomainSampler(GpuBroker broker) : IDomainSampler, IDisposable
{
    private readonly Lock _gate = new();
    private (string Key, StyleGenerator Generator)? _cached;

    /// <inheritdoc />
    public Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Sample(generatorFile, seeds, truncationPsi), ct);

    private IReadOnlyList<byte[]> Sample(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi)
    {
        lock (_gate)
        {
            var generator = Load(generatorFile);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(seeds, generator.Config.ZDim).to(generator.LatentAvg.device);   // [N, ZDim]
            var images = generator.Generate(z, truncationPsi, NoiseMode.Const);                           // [N, 3, H, W]
            return ImageEncoder.ToPngs(images.cpu());
        }
    }

    private StyleGenerator Load(string path)
    {
        var device = EngineDevice.Current;
        string key = $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}|{device}";
        if (_cached is { } c && c.Key == key)
            return c.Generator;
        _cached?.Generator.Dispose();
        _cached = null;
        var generator = GeneratorLoader.LoadGenerator(path).ToDevice(device);
        _cached = (key, generator);
        return generator;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _cached?.Generator.Dispose();
            _cached = null;
        }
    }
}
