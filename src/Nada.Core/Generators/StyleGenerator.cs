using Nada.Core.Adaptation;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Generators;

/// <summary>The generator families the engine knows.</summary>
public enum GeneratorFamily
{
    /// <summary>StyleGAN2 (Karras et al. 2020), rosinality layout.</summary>
    StyleGan2,
    /// <summary>StyleGAN3 (Karras et al. 2021), configs T and R, NVIDIA layout.</summary>
    StyleGan3,
}

/// <summary>What every generator family's architecture record tells the engine.</summary>
public interface IGeneratorConfig
{
    /// <summary>The family (decides which class rebuilds the network).</summary>
    GeneratorFamily Family { get; }
    /// <summary>Input latent size (z).</summary>
    int ZDim { get; }
    /// <summary>Intermediate latent size (w).</summary>
    int WDim { get; }
    /// <summary>Entries of W+ (one w per synthesis input).</summary>
    int NumWs { get; }
    /// <summary>Output image size in pixels.</summary>
    int ImgResolution { get; }
    /// <summary>Image channels (3 = RGB).</summary>
    int ImgChannels { get; }
    /// <summary>The record as JSON (saved beside every checkpoint).</summary>
    string ToJson();
}

/// <summary>
/// A modulated layer: its input channels are scaled per sample by a style computed from one W+ entry. A compact
/// domain holds one offset per input channel of each such layer (scale x (1 + d)).
/// </summary>
/// <param name="Name">State-dict prefix of the layer (e.g. <c>convs.3.conv</c>, <c>L5</c>).</param>
/// <param name="InChannels">Input channels (the length of its offset vector).</param>
/// <param name="IsToRgb">True for the layers that turn features into image channels.</param>
/// <param name="WPlusEntry">The W+ entry whose style the layer reads.</param>
public sealed record ModulatedLayerInfo(string Name, int InChannels, bool IsToRgb, int WPlusEntry);

/// <summary>
/// A style-based generator: a mapping network z -> w, truncation toward the average w, and a synthesis network
/// W+ [N, NumWs, WDim] -> images [N, C, H, W] in about [-1, 1]. The engine (training, sampling, editing, blending)
/// works on this type; each family adds its layers, its file formats and how W+ entries map to trainable layers.
/// A generator owns its tensors: building, loading or moving it inside a dispose scope is safe.
/// </summary>
public abstract class StyleGenerator : nn.Module
{
    /// <summary>Creates the module.</summary>
    protected StyleGenerator(string name) : base(name) { }

    /// <summary>The architecture.</summary>
    public abstract IGeneratorConfig Config { get; }

    private ScalarType? _computeDtype;

    /// <summary>
    /// The dtype <see cref="Synthesis"/> computes in: null (default) = the parameters' dtype; float32, bfloat16 or
    /// float16. Parameters keep their dtype (float32 master weights); each layer casts its weights and inputs to this
    /// dtype, and the images come out in the parameters' dtype. The mapping network runs in the parameters' dtype.
    /// Families that cannot compute in half throw from the setter.
    /// </summary>
    public ScalarType? ComputeDtype
    {
        get => _computeDtype;
        set
        {
            if (value is { } v)
            {
                Ops.Precisions.Of(v);
                if (v != LatentAvg.dtype && !SupportsHalfCompute)
                    throw new NotSupportedException($"{GetType().Name} computes in its parameters' dtype only; use --precision fp32.");
            }
            _computeDtype = value;
        }
    }

    /// <summary>Whether <see cref="ComputeDtype"/> may be bfloat16 or float16 (the family's layers cast to it).</summary>
    protected virtual bool SupportsHalfCompute => false;

    /// <summary>The average w, centre of truncation [WDim].</summary>
    public abstract Tensor LatentAvg { get; }

    /// <summary>Maps z [N, ZDim] (any device/dtype; converted to the generator's) to w [N, WDim].</summary>
    public abstract Tensor Mapping(Tensor z);

    /// <summary>
    /// Renders W+ [N, NumWs, WDim] to images [N, ImgChannels, H, W]. Random noise (where the family has noise)
    /// comes from <paramref name="generator"/> when given, else from the global generator.
    /// </summary>
    public abstract Tensor Synthesis(Tensor wPlus, NoiseMode noise = NoiseMode.Const, Generator? generator = null);

    /// <summary>A deep copy: same config, parameters, buffers and requires_grad flags, on the same device.</summary>
    public abstract StyleGenerator Clone();

    /// <summary>
    /// The layers (state-dict prefixes ending in ".") that StyleGAN-NADA's adaptive layer freezing trains when W+
    /// entry <paramref name="index"/> is chosen; empty when the entry trains nothing.
    /// </summary>
    public abstract IReadOnlyList<string> TrainableLayersForWPlusEntry(int index, WPlusLayerMapping mapping);

    /// <summary>The layers (state-dict prefixes) a fixed phase preset trains when layer selection is off.</summary>
    public abstract IReadOnlyList<string> TrainableLayersForPhase(TrainablePhase phase);

    /// <summary>The modulated layers in synthesis order (what a compact domain scales).</summary>
    public abstract IReadOnlyList<ModulatedLayerInfo> ModulatedLayers { get; }

    /// <summary>
    /// Scales the styles of modulated layers by (1 + d): <paramref name="offsets"/> maps a layer name of
    /// <see cref="ModulatedLayers"/> to d [InChannels] (on the generator's device; gradients flow through it).
    /// Layers not named render as the base. Null removes every offset. The generator keeps references, not copies.
    /// </summary>
    public abstract void SetStyleOffsets(IReadOnlyDictionary<string, Tensor>? offsets);

    /// <summary>Moves parameters and buffers to <paramref name="device"/>, keeping them out of any open dispose scope.</summary>
    public virtual StyleGenerator ToDevice(Device device)
    {
        this.to(device);
        DetachFromScopes();
        return this;
    }

    /// <summary>The generator owns its tensors: detach them from whatever dispose scope was open when they were made.</summary>
    protected void DetachFromScopes()
    {
        foreach (var p in parameters()) p.DetachFromDisposeScope();
        foreach (var b in buffers()) b.DetachFromDisposeScope();
    }

    /// <summary>Copies every state tensor and requires_grad flag of this generator into <paramref name="copy"/> (same architecture).</summary>
    protected T CopyStateInto<T>(T copy) where T : StyleGenerator
    {
        var device = LatentAvg.device;
        if (device.type != DeviceType.CPU) copy.ToDevice(device);
        using (no_grad())
        {
            var src = state_dict();
            foreach (var (name, t) in copy.state_dict()) t.copy_(src[name]);
            var grads = named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
            foreach (var (name, p) in copy.named_parameters()) p.requires_grad = grads[name];
        }
        return copy;
    }

    /// <summary>Moves w ([N, WDim] or [N, NumWs, WDim]) toward <see cref="LatentAvg"/>: avg + psi * (w - avg).</summary>
    public Tensor Truncate(Tensor w, float psi) => psi == 1f ? w : LatentAvg + psi * (w - LatentAvg);

    /// <summary>
    /// The W+ that <see cref="Generate"/> renders: [N, NumWs, WDim]. With <paramref name="mixZ"/>, <paramref name="z"/>
    /// drives entries [0, mixIndex) and <paramref name="mixZ"/> entries [mixIndex, NumWs); a negative index is drawn
    /// uniformly from [1, NumWs), as rosinality's generator does.
    /// </summary>
    public Tensor MapToWPlus(Tensor z, float truncationPsi = 1f, Tensor? mixZ = null, int mixIndex = -1)
    {
        int numWs = Config.NumWs;
        var w = Truncate(Mapping(z), truncationPsi);                           // [N, WDim]
        if (mixZ is null) return w.unsqueeze(1).expand(-1, numWs, -1);
        if (mixIndex < 0) mixIndex = Random.Shared.Next(1, numWs);
        if (mixIndex < 1 || mixIndex >= numWs)
            throw new ArgumentOutOfRangeException(nameof(mixIndex), mixIndex, $"Style mixing index must be in [1, {numWs - 1}].");
        var w2 = Truncate(Mapping(mixZ), truncationPsi);                        // [N, WDim]
        return cat([w.unsqueeze(1).expand(-1, mixIndex, -1), w2.unsqueeze(1).expand(-1, numWs - mixIndex, -1)], 1);
    }

    /// <summary>z [N, ZDim] to images: mapping, truncation, optional style mixing (see <see cref="MapToWPlus"/>), synthesis.</summary>
    public Tensor Generate(Tensor z, float truncationPsi = 1f, NoiseMode noise = NoiseMode.Const, Tensor? mixZ = null, int mixIndex = -1)
    {
        using var scope = NewDisposeScope();
        var wPlus = MapToWPlus(z, truncationPsi, mixZ, mixIndex);
        return Synthesis(wPlus, noise).MoveToOuterDisposeScope();
    }

    /// <summary>Parameters whose names start with <paramref name="modulePrefix"/> + "." (state-dict names).</summary>
    public IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> ParametersOf(string modulePrefix) =>
        named_parameters().Where(p => p.name.StartsWith(modulePrefix + ".", StringComparison.Ordinal))
            .Select(p => (p.name, p.parameter));

    /// <summary>Checks a W+ tensor's shape against the config; throws naming the expected shape.</summary>
    protected void CheckWPlus(Tensor wPlus)
    {
        if (wPlus.dim() != 3 || wPlus.shape[1] != Config.NumWs || wPlus.shape[2] != Config.WDim)
            throw new ArgumentException(
                $"Synthesis expects W+ of shape [N, {Config.NumWs}, {Config.WDim}], got [{string.Join(", ", wPlus.shape)}].");
    }

    /// <summary>Checks the offsets of <see cref="SetStyleOffsets"/>: known names and right lengths.</summary>
    protected void CheckStyleOffsets(IReadOnlyDictionary<string, Tensor> offsets)
    {
        var layers = ModulatedLayers.ToDictionary(l => l.Name);
        foreach (var (name, d) in offsets)
        {
            if (!layers.TryGetValue(name, out var layer))
                throw new ArgumentException($"The generator has no modulated layer '{name}'.");
            if (d.dim() != 1 || d.shape[0] != layer.InChannels)
                throw new ArgumentException($"The offsets of layer '{name}' must have shape [{layer.InChannels}], got [{string.Join(", ", d.shape)}].");
        }
    }
}
