using Nada.Core;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Web.Engine.Torch;

/// <summary>
/// Samples generators with TorchSharp: z from NumPy-compatible seeds, truncation toward the average W, constant
/// noise. The last generator used stays loaded (keyed by path and write time), so repeated sampling of one
/// domain does not reload it; calls are serialised, as they share that generator and the device.
/// </summary>
public sealed class TorchDomainSampler : IDomainSampler, IDisposable
{
    private readonly Lock _gate = new();
    private (string Key, StyleGenerator Generator)? _cached;

    /// <inheritdoc />
    public IReadOnlyList<byte[]> SamplePng(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi)
    {
        lock (_gate)
        {
            var generator = Load(generatorFile);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(seeds, generator.Config.ZDim).to(EngineDevice.Default);   // [N, ZDim]
            var images = generator.Generate(z, truncationPsi, NoiseMode.Const);                      // [N, 3, H, W]
            return ImageEncoder.ToPngs(images.cpu());
        }
    }

    private StyleGenerator Load(string path)
    {
        string key = $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}";
        if (_cached is { } c && c.Key == key)
            return c.Generator;
        _cached?.Generator.Dispose();
        _cached = null;
        var generator = GeneratorLoader.LoadGenerator(path);
        generator.ToDevice(EngineDevice.Default);
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
