using System.Text.Json;
using Nada.Core.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>A latent was made with another generator than the one it is used with.</summary>
public sealed class LatentMismatchException(string message) : IOException(message);

/// <summary>A saved latent: W+ [1, NumWs, WDim] and the generator it belongs to.</summary>
/// <param name="WPlus">The latent, [1, NumWs, WDim], float32 on the CPU (the caller disposes it).</param>
/// <param name="Generator">The generator it was made with.</param>
/// <param name="Metadata">Every metadata entry of the file (text, score, ...).</param>
public sealed record LoadedLatent(Tensor WPlus, GeneratorIdentity Generator, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Latent files: safetensors with one tensor <c>wplus</c> [1, NumWs, WDim] (float32) and metadata
/// <c>format</c> = <c>nada-latent</c>, <c>generator</c> = the <see cref="GeneratorIdentity"/> as JSON, plus any
/// extra entries the caller adds (text, scores).
/// </summary>
public static class LatentFile
{
    /// <summary>Value of the <c>format</c> metadata entry.</summary>
    public const string FormatTag = "nada-latent";

    /// <summary>Writes <paramref name="wPlus"/> [1, NumWs, WDim] with its generator's identity.</summary>
    public static void Save(string path, Tensor wPlus, GeneratorIdentity generator, IReadOnlyDictionary<string, string>? extra = null)
    {
        if (wPlus.dim() != 3 || wPlus.shape[0] != 1 || wPlus.shape[1] != generator.NumWs || wPlus.shape[2] != generator.WDim)
            throw new ArgumentException($"A latent must be [1, {generator.NumWs}, {generator.WDim}] for generator {generator.Describe()}, got [{string.Join(", ", wPlus.shape)}].");
        var metadata = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["format"] = FormatTag,
            ["generator"] = JsonSerializer.Serialize(generator),
        };
        using var scope = NewDisposeScope();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["wplus"] = wPlus.detach().to(ScalarType.Float32).cpu() }, metadata);
    }

    /// <summary>Reads a latent file; throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static LoadedLatent Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The latent file '{path}' does not exist.", path);
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        try
        {
            if (!metadata.TryGetValue("format", out var format) || format != FormatTag || !tensors.TryGetValue("wplus", out var w))
                throw new InvalidDataException($"'{path}' is not a NadaWeb latent file (no 'wplus' tensor with format '{FormatTag}'); pass the latent.safetensors written by nada invert or nada edit.");
            GeneratorIdentity? id;
            try
            {
                id = metadata.TryGetValue("generator", out var json) ? JsonSerializer.Deserialize<GeneratorIdentity>(json) : null;
            }
            catch (JsonException)
            {
                id = null;
            }
            if (id is null || string.IsNullOrEmpty(id.Sha256))
                throw new InvalidDataException($"The latent file '{path}' does not say which generator it belongs to (its 'generator' metadata is missing or unreadable).");
            if (w.dim() != 3 || w.shape[0] != 1 || w.shape[1] != id.NumWs || w.shape[2] != id.WDim)
                throw new InvalidDataException($"The latent file '{path}' holds a tensor of shape [{string.Join(", ", w.shape)}], not [1, {id.NumWs}, {id.WDim}] as its generator needs.");
            var wPlus = w.to(ScalarType.Float32).clone();
            return new LoadedLatent(wPlus, id, metadata);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Reads a latent and checks it belongs to <paramref name="generator"/> (or to one of <paramref name="alsoAccepted"/>,
    /// e.g. the base generator a domain was adapted from). Throws <see cref="LatentMismatchException"/> naming both.
    /// </summary>
    public static LoadedLatent LoadFor(string path, GeneratorIdentity generator, params GeneratorIdentity[] alsoAccepted)
    {
        var latent = Load(path);
        if (latent.Generator.SameGeneratorAs(generator) || alsoAccepted.Any(a => latent.Generator.SameGeneratorAs(a) && a.SameShapeAs(generator)))
            return latent;
        latent.WPlus.Dispose();
        throw new LatentMismatchException(
            $"The latent '{path}' was made with generator {latent.Generator.Describe()}, but generator {generator.Describe()} was given. " +
            "Use the generator the latent was made with, or invert the photo again with this one.");
    }
}
