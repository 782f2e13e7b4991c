using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>
/// The architecture of a StyleGAN2 generator (rosinality layout, skip architecture), enough to rebuild the
/// network from its tensors. Saved as JSON beside every checkpoint in our format.
/// </summary>
/// <param name="ImgResolution">Output image size in pixels (a power of two, at least 8).</param>
/// <param name="ZDim">Input latent size (z).</param>
/// <param name="WDim">Intermediate latent size (w), the style size of every layer.</param>
/// <param name="MappingLayers">Fully connected layers of the mapping network.</param>
/// <param name="Channels">Feature channels per resolution, keys 4, 8, ..., ImgResolution.</param>
/// <param name="LrMultiplier">Learning-rate multiplier of the mapping network (equalised lr), usually 0.01.</param>
/// <param name="ImgChannels">Image channels (3 = RGB).</param>
/// <param name="ConvClamp">Clamp of conv outputs after activation (NVIDIA's conv_clamp, e.g. 256); null = none.</param>
/// <param name="BlurTaps">FIR taps of every up-sampling step.</param>
public sealed record StyleGan2Config(
    int ImgResolution,
    int ZDim,
    int WDim,
    int MappingLayers,
    IReadOnlyDictionary<int, int> Channels,
    float LrMultiplier = 0.01f,
    int ImgChannels = 3,
    float? ConvClamp = null,
    IReadOnlyList<float>? BlurTaps = null) : IGeneratorConfig
{
    /// <inheritdoc />
    [JsonIgnore] public GeneratorFamily Family => GeneratorFamily.StyleGan2;

    /// <summary>log2 of the resolution.</summary>
    [JsonIgnore] public int LogSize => (int)Math.Round(Math.Log2(ImgResolution));

    /// <summary>Entries of W+: two per resolution from 8 up, plus two at 4x4.</summary>
    [JsonIgnore] public int NumWs => LogSize * 2 - 2;

    /// <summary>Styled convolutions, i.e. noise inputs: one at 4x4 and two per resolution from 8 up.</summary>
    [JsonIgnore] public int NumConvLayers => (LogSize - 2) * 2 + 1;

    /// <summary>The FIR taps actually used ([1, 3, 3, 1] unless set).</summary>
    [JsonIgnore] public IReadOnlyList<float> Taps => BlurTaps ?? Ops.FirFilter.StyleGan2Taps;

    /// <summary>Channels at <paramref name="resolution"/>.</summary>
    public int ChannelsAt(int resolution) =>
        Channels.TryGetValue(resolution, out var c) ? c
            : throw new InvalidOperationException($"StyleGAN2 config has no channel count for resolution {resolution}.");

    /// <summary>Throws when the config cannot describe a generator.</summary>
    public StyleGan2Config Validate()
    {
        if (ImgResolution < 8 || (ImgResolution & (ImgResolution - 1)) != 0)
            throw new InvalidDataException($"StyleGAN2 resolution must be a power of two >= 8, got {ImgResolution}.");
        if (ZDim <= 0 || WDim <= 0 || MappingLayers <= 0 || ImgChannels <= 0)
            throw new InvalidDataException($"StyleGAN2 config has a non-positive size: {this}.");
        for (int r = 4; r <= ImgResolution; r *= 2) ChannelsAt(r);
        return this;
    }

    /// <summary>JSON options used for every config file.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses JSON written by <see cref="ToJson"/>.</summary>
    public static StyleGan2Config FromJson(string json) =>
        (JsonSerializer.Deserialize<StyleGan2Config>(json, JsonOptions)
         ?? throw new InvalidDataException("Empty StyleGAN2 config JSON.")).Validate();

    /// <summary>A tiny config for tests and examples.</summary>
    public static StyleGan2Config Tiny(int resolution = 16, int dim = 16, int channels = 16, int mappingLayers = 2)
    {
        var ch = new Dictionary<int, int>();
        for (int r = 4; r <= resolution; r *= 2) ch[r] = channels;
        return new StyleGan2Config(resolution, dim, dim, mappingLayers, ch).Validate();
    }
}
