using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Scheduling;
using static TorchSharp.torch;

namespace Nada.Core.Service.Torch;

/// <summary>
/// Renders latents with TorchSharp as interactive work of the broker. The last <see cref="BlendSession"/> stays loaded
/// (keyed by its files, their write times and the device), so moving a strength slider re-renders without reloading.
/// </summary>
public sealed class TorchLatentRenderer(GpuBroker broker) : ILatentRenderer, IDisposable
{
    private readonly Lock _gate = new();
    private (string Key, BlendSession Session)? _blend;

    /// <inheritdoc />
    public Task<byte[]> RenderPngAsync(string generatorPath, string latentPath, string? baseGeneratorPath = null, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Render(generatorPath, latentPath, baseGeneratorPath), ct);

    /// <inheritdoc />
    public Task<byte[]> BlendPngAsync(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => Blend(sourcePath, domainPaths, latentPath, alpha), ct);

    /// <inheritdoc />
    public Task<byte[]> RenderMixPngAsync(string baseGeneratorPath, IReadOnlyList<Adaptation.Compact.DomainWeight> domains, string latentPath, CancellationToken ct = default) =>
        broker.RunInteractiveAsync(() => RenderMix(baseGeneratorPath, domains, latentPath), ct);

    private static byte[] RenderMix(string baseGeneratorPath, IReadOnlyList<Adaptation.Compact.DomainWeight> domains, string latentPath)
    {
        using var generator = GeneratorLoader.LoadGenerator(baseGeneratorPath).ToDevice(EngineDevice.Current);
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(baseGeneratorPath));
        var latent = LatentFile.LoadFor(latentPath, identity);
        using var w = latent.WPlus;
        var parts = new List<(Adaptation.Compact.CompactDomain Domain, float Alpha)>();
        try
        {
            foreach (var d in domains) parts.Add((Adaptation.Compact.CompactDomainFile.Load(d.File), d.Alpha));
            using var lease = Adaptation.Compact.DomainMix.Apply(generator, identity, parts);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var image = generator.Synthesis(w.to(ScalarType.Float32, generator.LatentAvg.device), NoiseMode.Const);   // [1, C, H, W]
            return ImageEncoder.ToPngs(image.cpu())[0];
        }
        finally
        {
            foreach (var (d, _) in parts) d.Dispose();
        }
    }

    private static byte[] Render(string generatorPath, string latentPath, string? baseGeneratorPath)
    {
        using var generator = GeneratorLoader.LoadGenerator(generatorPath).ToDevice(EngineDevice.Current);
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(generatorPath));
        var accepted = new List<GeneratorIdentity>();
        if (baseGeneratorPath is not null)
        {
            using var baseGenerator = GeneratorLoader.LoadGenerator(baseGeneratorPath);
            accepted.Add(GeneratorIdentity.Of(baseGenerator, Path.GetFileName(baseGeneratorPath)));
        }
        var latent = LatentFile.LoadFor(latentPath, identity, [.. accepted]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var w = latent.WPlus;
        var image = generator.Synthesis(w.to(ScalarType.Float32, generator.LatentAvg.device), NoiseMode.Const);   // [1, C, H, W]
        return ImageEncoder.ToPngs(image.cpu())[0];
    }

    private byte[] Blend(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha)
    {
        lock (_gate)
        {
            string key = string.Join("|", new[] { sourcePath, latentPath }.Concat(domainPaths)
                .Select(p => $"{Path.GetFullPath(p)}@{File.GetLastWriteTimeUtc(p).Ticks}")) + "|" + EngineDevice.Current;
            if (_blend is not { } b || b.Key != key)
            {
                _blend?.Session.Dispose();
                _blend = null;
                _blend = (key, new BlendSession(sourcePath, domainPaths, latentPath));
            }
            return _blend.Value.Session.RenderPng(alpha, includeSource: false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _blend?.Session.Dispose();
            _blend = null;
        }
    }
}
