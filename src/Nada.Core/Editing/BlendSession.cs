using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>
/// A source generator, one or more adapted domains and one latent, loaded once onto <see cref="EngineDevice.Current"/>
/// for quick re-renders at any alpha (a slider in the web app, <c>nada blend</c> in the CLI). The latent must have
/// been made with the source generator. Synchronous; dispose it when done.
/// </summary>
public sealed class BlendSession : IDisposable
{
    private readonly StyleGenerator source;
    private readonly List<StyleGenerator> domains = [];
    private readonly DomainBlender blender;
    private readonly Tensor wPlus;                // [1, NumWs, WDim]

    /// <summary>The source generator's identity.</summary>
    public GeneratorIdentity Source { get; }

    /// <summary>Number of domains.</summary>
    public int DomainCount => domains.Count;

    /// <param name="sourcePath">The source (base) generator file.</param>
    /// <param name="domainPaths">Adapted domain generator files (same architecture as the source).</param>
    /// <param name="latentPath">A latent file made with the source generator.</param>
    /// <exception cref="LatentMismatchException">The latent belongs to another generator.</exception>
    public BlendSession(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath)
    {
        if (domainPaths.Count == 0) throw new ArgumentException("Blending needs at least one domain generator.");
        var device = EngineDevice.Current;
        source = GeneratorLoader.LoadGenerator(sourcePath).ToDevice(device);
        try
        {
            Source = GeneratorIdentity.Of(source, Path.GetFileName(sourcePath));
            foreach (var path in domainPaths)
            {
                var d = GeneratorLoader.LoadGenerator(path).ToDevice(device);
                domains.Add(d);
                try
                {
                    DomainBlender.CheckCompatible(source, d);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"'{path}' cannot be blended with '{sourcePath}': {e.Message}", e);
                }
            }
            var latent = LatentFile.LoadFor(latentPath, Source);
            using (latent.WPlus) wPlus = latent.WPlus.to(device).clone().DetachFromDisposeScope();
            blender = new DomainBlender(source);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Images [1 + D, C, H, W] (the source, then every domain blended at <paramref name="alpha"/>), or [1, C, H, W]
    /// with only the blend when <paramref name="includeSource"/> is false and there is one domain.
    /// </summary>
    public Tensor Render(float alpha, bool includeSource = true)
    {
        if (!includeSource && domains.Count == 1) return blender.Render(domains[0], alpha, wPlus);
        using var scope = NewDisposeScope();
        var all = blender.RenderSideBySide(domains, alpha, wPlus);
        return (includeSource ? all : all.narrow(0, 1, domains.Count)).MoveToOuterDisposeScope();
    }

    /// <summary>PNG bytes of <see cref="Render"/>: one image, or all side by side in one row.</summary>
    public byte[] RenderPng(float alpha, bool includeSource = true)
    {
        using var scope = NewDisposeScope();
        var images = Render(alpha, includeSource);
        return images.shape[0] == 1 ? ImageEncoder.ToPngs(images)[0] : ImageEncoder.GridPng(images, columns: (int)images.shape[0]);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        blender?.Dispose();
        wPlus?.Dispose();
        foreach (var d in domains) d.Dispose();
        source.Dispose();
    }
}
