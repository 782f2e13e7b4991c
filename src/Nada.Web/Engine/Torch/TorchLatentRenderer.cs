using Nada.Core;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Web.Engine.Torch;

/// <summary>
/// Renders latents with TorchSharp, inline on the request thread. Calls are serialised (one device); the last
/// <see cref="BlendSession"/> stays loaded (keyed by its files and their write times), so moving a strength slider
/// re-renders without reloading any generator.
/// </summary>
public sealed class TorchLatentRenderer : ILatentRenderer, IDisposable
{
    private readonly Lock _gate = new();
    private (string Key, BlendSession Session)? _blend;

    /// <inheritdoc />
    public byte[] RenderPng(string generatorPath, string latentPath, string? baseGeneratorPath = null)
    {
        lock (_gate)
        {
            using var generator = GeneratorLoader.LoadGenerator(generatorPath).ToDevice(EngineDevice.Default);
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
    }

    /// <inheritdoc />
    public byte[] BlendPng(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha)
    {
        lock (_gate)
        {
            string key = string.Join("|", new[] { sourcePath, latentPath }.Concat(domainPaths)
                .Select(p => $"{Path.GetFullPath(p)}@{File.GetLastWriteTimeUtc(p).Ticks}"));
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
