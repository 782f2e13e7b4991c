using Nada.Core.Adaptation;
using Nada.Core.Generators.StyleGan3;
using static TorchSharp.torch;

namespace Nada.Core.Generators;

/// <summary>
/// StyleGAN3 generator (Karras et al. 2021, configs T and R) in NVIDIA's layout: <c>state_dict()</c> names equal
/// NVIDIA's <c>G_ema</c> (<c>mapping.fc0.weight</c>, <c>mapping.w_avg</c>, <c>synthesis.input.freqs</c>,
/// <c>synthesis.L3_52_512.affine.weight</c>, <c>synthesis.L3_52_512.up_filter</c>, ...), filters and
/// <c>magnitude_ema</c> included. The architecture is a <see cref="StyleGan3Config"/>.
/// <para>
/// W+ has <c>NumLayers + 2</c> entries and each feeds exactly one block: entry 0 the Fourier-feature input
/// (<c>synthesis.input</c>, which turns it into a rotation and translation of the features), entry i (1 .. NumLayers)
/// layer <c>L(i-1)</c>, and the last entry the ToRGB layer <c>L(NumLayers)</c>. For adaptive layer freezing entry 0
/// trains <c>synthesis.input</c>, entry i trains <c>L(i-1)</c> (affine included), and the last entry trains nothing:
/// ToRGB stays frozen, as in the StyleGAN2 presets (both <see cref="WPlusLayerMapping"/> values mean the same here;
/// StyleGAN-NADA's reference has no StyleGAN3 layer selection). There is no noise: <see cref="NoiseMode"/> is ignored.
/// </para>
/// <para>
/// <see cref="SetInputTransform"/> translates and rotates the rendered image (NVIDIA's <c>gen_images.py --translate
/// --rotate</c>); the transform is part of the generator's state until reset.
/// </para>
/// </summary>
public sealed class StyleGan3Generator : StyleGenerator
{
    private readonly MappingNetwork mapping;
    private readonly SynthesisNetwork synthesis;

    /// <summary>Creates a randomly initialised generator for <paramref name="config"/> (filters designed as NVIDIA does).</summary>
    public StyleGan3Generator(StyleGan3Config config) : base(nameof(StyleGan3Generator))
    {
        Architecture = config.Validate();
        mapping = new MappingNetwork(config);
        synthesis = new SynthesisNetwork(config);
        RegisterComponents();
        DetachFromScopes();
    }

    /// <summary>The architecture (StyleGAN3's own record; <see cref="Config"/> is its family-neutral view).</summary>
    public StyleGan3Config Architecture { get; }

    /// <inheritdoc />
    public override IGeneratorConfig Config => Architecture;

    /// <inheritdoc />
    public override Tensor LatentAvg => mapping.WAvg;

    /// <summary>The synthesis layers L0 .. L(NumLayers), ToRGB last.</summary>
    public IReadOnlyList<SynthesisLayer> SynthesisLayers => synthesis.Layers;

    /// <inheritdoc />
    public override StyleGan3Generator ToDevice(Device device)
    {
        base.ToDevice(device);
        return this;
    }

    /// <inheritdoc />
    public override Tensor Mapping(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != Config.ZDim)
            throw new ArgumentException($"Mapping expects z of shape [N, {Config.ZDim}], got [{string.Join(", ", z.shape)}].");
        return mapping.forward(z.to(LatentAvg.device));
    }

    /// <summary>Renders W+ [N, NumWs, WDim] to images [N, ImgChannels, R, R] in about [-1, 1]; StyleGAN3 has no noise.</summary>
    public override Tensor Synthesis(Tensor wPlus, NoiseMode noise = NoiseMode.Const, Generator? generator = null)
    {
        CheckWPlus(wPlus);
        synthesis.ComputeDtype = ComputeDtype;
        return synthesis.forward(wPlus.to(LatentAvg.device));
    }

    /// <summary>Layers compute in bfloat16 or float16 with float32 styles and modulated weights (see <see cref="SynthesisNetwork.ComputeDtype"/>).</summary>
    protected override bool SupportsHalfCompute => true;

    /// <summary>
    /// Sets the translation and rotation of rendered images (stored in <c>synthesis.input.transform</c>, so it is
    /// copied by <see cref="Clone"/> and saved with the generator). <see cref="InputTransform.Identity"/> restores
    /// the default exactly.
    /// </summary>
    public void SetInputTransform(InputTransform transform)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var buffer = synthesis.Input.TransformBuffer;
        buffer.copy_(tensor(transform.InverseMatrix()).reshape(3, 3).to(buffer.dtype, buffer.device));
    }

    /// <summary>
    /// Sets <paramref name="transform"/> until the returned lease is disposed, which puts back the transform the
    /// generator held before (so a shared, cached generator keeps its stored state and its identity hash).
    /// </summary>
    public IDisposable UseInputTransform(InputTransform transform)
    {
        var buffer = synthesis.Input.TransformBuffer;
        Tensor saved;
        using (no_grad()) saved = buffer.detach().clone();     // [3, 3]
        saved.DetachFromDisposeScope();
        SetInputTransform(transform);
        return new TransformLease(buffer, saved);
    }

    private sealed class TransformLease(Tensor buffer, Tensor saved) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            using (no_grad()) buffer.copy_(saved);
            saved.Dispose();
        }
    }

    /// <summary>Runs the filtered leaky ReLU's reference implementation in every layer (true) or the fast one (false, default).</summary>
    public void SetReferenceOps(bool reference)
    {
        foreach (var layer in synthesis.Layers) layer.UseReferenceOps = reference;
    }

    /// <inheritdoc />
    public override StyleGan3Generator Clone() => CopyStateInto(new StyleGan3Generator(Architecture));

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainableLayersForWPlusEntry(int index, WPlusLayerMapping mapping)
    {
        if (index < 0 || index >= Config.NumWs)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"W+ index must be in [0, {Config.NumWs}).");
        if (index == 0) return ["synthesis.input."];
        var layer = synthesis.Layers[index - 1];
        return layer.Spec.IsToRgb ? [] : [$"synthesis.{layer.Spec.Name}."];
    }

    /// <summary>
    /// Phase presets by layer position, as StyleGAN2's presets count convolutions (conv1 = L0): Default trains the
    /// input and every layer but ToRGB; Shape the input and L0-L2; ShapeExpanded L0-L3; Texture L0 and L3-L10;
    /// NoFine L0-L10; All every parameter, mapping and ToRGB included.
    /// </summary>
    public override IReadOnlyList<string> TrainableLayersForPhase(TrainablePhase phase)
    {
        int convs = Architecture.NumLayers;     // L0 .. L(NumLayers-1); L(NumLayers) is ToRGB
        IEnumerable<string> L(int from, int to) =>
            Enumerable.Range(from, Math.Max(0, Math.Min(to, convs) - from)).Select(i => $"synthesis.{synthesis.Layers[i].Spec.Name}.");
        string[] head = ["synthesis.input."];
        return phase switch
        {
            TrainablePhase.Default => [.. head, .. L(0, convs)],
            TrainablePhase.Texture => [.. head, .. L(0, 1), .. L(3, 11)],
            TrainablePhase.Shape => [.. head, .. L(0, 3)],
            TrainablePhase.ShapeExpanded => [.. head, .. L(0, 4)],
            TrainablePhase.NoFine => [.. head, .. L(0, 11)],
            TrainablePhase.All => [""],
            _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
        };
    }

    /// <inheritdoc />
    public override IReadOnlyList<ModulatedLayerInfo> ModulatedLayers =>
        synthesis.Layers.Select(l => new ModulatedLayerInfo($"synthesis.{l.Spec.Name}", l.Spec.InChannels, l.Spec.IsToRgb, l.Spec.Index + 1)).ToList();

    /// <summary>Scales the styles of layers L0 .. ToRGB by (1 + d) before modulation and demodulation (names: <c>synthesis.L*</c>).</summary>
    public override void SetStyleOffsets(IReadOnlyDictionary<string, Tensor>? offsets)
    {
        if (offsets is not null) CheckStyleOffsets(offsets);
        foreach (var layer in synthesis.Layers)
            layer.StyleOffset = offsets is not null && offsets.TryGetValue($"synthesis.{layer.Spec.Name}", out var d) ? d : null;
    }
}
