using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// The architecture of a StyleGAN3 generator (Karras et al. 2021, "Alias-Free Generative Adversarial Networks"):
/// NVIDIA's constructor arguments of <c>Generator</c>, <c>MappingNetwork</c>, <c>SynthesisNetwork</c> and
/// <c>SynthesisLayer</c>, from which <see cref="Layers"/> derives every layer's sampling rate, cutoff, transition
/// band, size, channels, filters and padding exactly as NVIDIA's code does. Config T is the default; config R has
/// <see cref="ConvKernel"/> 1, <see cref="UseRadialFilters"/> and doubled channel base and maximum. Saved as JSON
/// beside every checkpoint in our format; the file alone rebuilds the network.
/// </summary>
/// <param name="ImgResolution">Output image size in pixels.</param>
/// <param name="ZDim">Input latent size (z).</param>
/// <param name="WDim">Intermediate latent size (w).</param>
/// <param name="MappingLayers">Fully connected layers of the mapping network (NVIDIA: 2).</param>
/// <param name="LrMultiplier">Learning-rate multiplier of the mapping layers (equalised lr), 0.01.</param>
/// <param name="ImgChannels">Image channels (3 = RGB).</param>
/// <param name="ChannelBase">Overall multiplier for the number of channels (T: 32768, R: 65536 at 1024 px).</param>
/// <param name="ChannelMax">Maximum number of channels in any layer (T: 512, R: 1024).</param>
/// <param name="NumLayers">Synthesis layers, excluding the Fourier-feature input and ToRGB (14).</param>
/// <param name="NumCritical">Critically sampled layers at the end (2).</param>
/// <param name="FirstCutoff">Cutoff frequency of the first layer, f_c,0 (2).</param>
/// <param name="FirstStopband">Minimum stopband of the first layer, f_t,0 (2^2.1).</param>
/// <param name="LastStopbandRel">Minimum stopband of the last layer relative to its cutoff (2^0.3).</param>
/// <param name="MarginSize">Pixels computed outside the image on each side (10).</param>
/// <param name="OutputScale">Multiplies the output image (0.25).</param>
/// <param name="ConvKernel">Convolution kernel size (T: 3, R: 1); ToRGB always uses 1.</param>
/// <param name="FilterSize">Low-pass filter taps relative to the lower resolution when resampling (6).</param>
/// <param name="LreluUpsampling">Relative sampling rate of the leaky ReLU (2).</param>
/// <param name="UseRadialFilters">Radially symmetric (jinc) down-sampling filters outside the critically sampled layers (R).</param>
/// <param name="ConvClamp">Clamp of every layer's output to [-X, X] (256); null = none.</param>
/// <param name="MagnitudeEmaBeta">Decay of the input-magnitude moving average NVIDIA tracks while training (kept for the record).</param>
public sealed record StyleGan3Config(
    int ImgResolution,
    int ZDim,
    int WDim,
    int MappingLayers = 2,
    float LrMultiplier = 0.01f,
    int ImgChannels = 3,
    double ChannelBase = 32768,
    double ChannelMax = 512,
    int NumLayers = 14,
    int NumCritical = 2,
    double FirstCutoff = 2,
    double FirstStopband = 4.2870938501451725,   // 2 ** 2.1
    double LastStopbandRel = 1.2311444133449163, // 2 ** 0.3
    int MarginSize = 10,
    float OutputScale = 0.25f,
    int ConvKernel = 3,
    int FilterSize = 6,
    int LreluUpsampling = 2,
    bool UseRadialFilters = false,
    float? ConvClamp = 256f,
    double MagnitudeEmaBeta = 0.999) : IGeneratorConfig
{
    /// <inheritdoc />
    [JsonIgnore] public GeneratorFamily Family => GeneratorFamily.StyleGan3;

    /// <summary>Entries of W+: one for the input, one per synthesis layer, one for ToRGB.</summary>
    [JsonIgnore] public int NumWs => NumLayers + 2;

    /// <summary>
    /// The synthesis layers L0 .. L(NumLayers), ToRGB last, as NVIDIA derives them from this record (computed on
    /// each call; keep the list).
    /// </summary>
    [JsonIgnore] public IReadOnlyList<SynthesisLayerSpec> Layers => SynthesisLayerSpec.Derive(this);

    /// <summary>Throws when the config cannot describe a generator.</summary>
    public StyleGan3Config Validate()
    {
        if (ImgResolution < 4) throw new InvalidDataException($"StyleGAN3 resolution must be at least 4, got {ImgResolution}.");
        if (ZDim <= 0 || WDim <= 0 || MappingLayers <= 0 || ImgChannels <= 0)
            throw new InvalidDataException($"StyleGAN3 config has a non-positive size: {this}.");
        if (NumLayers < 1 || NumCritical < 0 || NumCritical >= NumLayers)
            throw new InvalidDataException($"StyleGAN3 needs 0 <= NumCritical < NumLayers, got {NumCritical} and {NumLayers}.");
        if (ConvKernel < 1 || FilterSize < 1 || LreluUpsampling < 1 || MarginSize < 0)
            throw new InvalidDataException($"StyleGAN3 config has an invalid kernel, filter, upsampling or margin size: {this}.");
        if (!(ChannelBase > 0) || !(ChannelMax > 0) || !(FirstCutoff > 0) || !(FirstStopband > 0) || !(LastStopbandRel > 0))
            throw new InvalidDataException($"StyleGAN3 config has a non-positive channel or frequency setting: {this}.");
        _ = Layers;   // derives (and checks) every layer
        return this;
    }

    /// <summary>JSON options used for every config file.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Serialises to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses JSON written by <see cref="ToJson"/>.</summary>
    public static StyleGan3Config FromJson(string json) =>
        (JsonSerializer.Deserialize<StyleGan3Config>(json, JsonOptions)
         ?? throw new InvalidDataException("Empty StyleGAN3 config JSON.")).Validate();

    /// <summary>Config T at <paramref name="resolution"/> (NVIDIA's train.py: channel base 32768, max 512 at 1024 px and 512 px).</summary>
    public static StyleGan3Config T(int resolution, int dim = 512) => new StyleGan3Config(resolution, dim, dim).Validate();

    /// <summary>Config R at <paramref name="resolution"/>: 1x1 convolutions, radial filters, doubled channels.</summary>
    public static StyleGan3Config R(int resolution, int dim = 512) =>
        new StyleGan3Config(resolution, dim, dim, ChannelBase: 65536, ChannelMax: 1024, ConvKernel: 1, UseRadialFilters: true).Validate();

    /// <summary>A tiny config for tests and examples (a few layers, few channels).</summary>
    public static StyleGan3Config Tiny(int resolution = 16, int dim = 16, int numLayers = 4, bool radial = false) =>
        new StyleGan3Config(resolution, dim, dim, ChannelBase: 256, ChannelMax: 16, NumLayers: numLayers,
            ConvKernel: radial ? 1 : 3, UseRadialFilters: radial, MarginSize: 4).Validate();
}
