using Nada.Core.Editing;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>What a compact domain file says about its domain (its JSON metadata).</summary>
public sealed record CompactDomainInfo
{
    /// <summary>Version of this record's layout.</summary>
    public int Version { get; init; } = 1;
    /// <summary>The generator the offsets belong to: SHA-256 of its tensors, size, W+ shape, file name.</summary>
    public required GeneratorIdentity BaseGenerator { get; init; }
    /// <summary>Its family ("StyleGan2", "StyleGan3").</summary>
    public required string Family { get; init; }
    /// <summary>Text of the base generator's domain.</summary>
    public required string SourceText { get; init; }
    /// <summary>Text of this domain (empty for a domain guided by style images alone).</summary>
    public required string TargetText { get; init; }
    /// <summary>File names of the style images that guided it, if any.</summary>
    public IReadOnlyList<string> StyleImages { get; init; } = [];
    /// <summary>Whether the to_rgb layers have offsets.</summary>
    public bool IncludesToRgb { get; init; }
    /// <summary>Training steps.</summary>
    public int Iterations { get; init; }
    /// <summary>The run's options (loss weights, optimiser, seed, ...).</summary>
    public AdaptationOptions? Options { get; init; }
    /// <summary>The loss terms of the last step, by name.</summary>
    public IReadOnlyDictionary<string, double> FinalLosses { get; init; } = new Dictionary<string, double>();
    /// <summary>The CLIP models it was trained with.</summary>
    public IReadOnlyList<TrainingClip> Clips { get; init; } = [];
    /// <summary>When it was written.</summary>
    public DateTimeOffset Created { get; init; }
    /// <summary>Engine version that wrote it.</summary>
    public string? Engine { get; init; }
}

/// <summary>
/// A compact domain: per-channel offsets d for the modulated convolutions of one base generator, applied as styles
/// scaled by (1 + d) (equivalently, each weight's input channels scaled before demodulation). All-zero offsets render
/// the base generator exactly. Owns its offset tensors (float32, CPU, one [InChannels] vector per layer name of
/// <see cref="StyleGenerator.ModulatedLayers"/>).
/// </summary>
public sealed class CompactDomain : IDisposable
{
    /// <summary>A domain of offsets (taken over: the domain disposes them) and metadata.</summary>
    public CompactDomain(CompactDomainInfo info, IReadOnlyDictionary<string, Tensor> offsets, string? name = null)
    {
        Info = info;
        Offsets = offsets;
        Name = name ?? (string.IsNullOrWhiteSpace(info.TargetText) ? "compact domain" : info.TargetText);
    }

    /// <summary>The metadata.</summary>
    public CompactDomainInfo Info { get; }

    /// <summary>Offsets d by layer name, [InChannels] each, float32 on the CPU.</summary>
    public IReadOnlyDictionary<string, Tensor> Offsets { get; }

    /// <summary>How messages name the domain (its file name when read from a file).</summary>
    public string Name { get; }

    /// <summary>Number of offsets (the domain's size in parameters).</summary>
    public long ParameterCount => Offsets.Values.Sum(t => t.NumberOfElements);

    /// <summary>Throws <see cref="DomainMismatchException"/> unless the domain was trained on the generator <paramref name="generator"/>.</summary>
    public void EnsureBelongsTo(GeneratorIdentity generator)
    {
        if (!Info.BaseGenerator.SameGeneratorAs(generator))
            throw new DomainMismatchException(
                $"The compact domain '{Name}' was trained on the generator {Info.BaseGenerator.Describe()} and cannot be applied to " +
                $"the generator {generator.Describe()}; use it with the generator it was trained on.");
    }

    /// <summary>Throws when the offsets do not fit the layers of <paramref name="generator"/> (names and lengths).</summary>
    public void EnsureFitsLayers(StyleGenerator generator)
    {
        var layers = generator.ModulatedLayers.ToDictionary(l => l.Name);
        foreach (var (name, d) in Offsets)
            if (!layers.TryGetValue(name, out var layer) || d.dim() != 1 || d.shape[0] != layer.InChannels)
                throw new DomainMismatchException($"The compact domain '{Name}' has offsets for a layer '{name}' that the generator does not have in that size; it belongs to another generator.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Offsets.Values) t.Dispose();
    }
}

/// <summary>A compact domain was given with a generator it was not trained on; the message names both.</summary>
public sealed class DomainMismatchException(string message) : ArgumentException(message);
