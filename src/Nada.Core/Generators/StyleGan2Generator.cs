using Nada.Core.Ops;
using Nada.Core.Generators.StyleGan2;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators;

/// <summary>
/// StyleGAN2 generator (Karras et al. 2020, skip architecture) in rosinality's stylegan2-pytorch layout:
/// the parameter names of <c>state_dict()</c> equal that code's (<c>style.1.weight</c>, <c>input.input</c>,
/// <c>conv1.conv.weight</c>, <c>convs.3.noise.weight</c>, <c>to_rgbs.0.bias</c>, <c>noises.noise_5</c>, ...),
/// plus the buffer <c>latent_avg</c>, the truncation centre.
/// </summary>
public sealed class StyleGan2Generator : StyleGenerator
{
    private readonly Sequential style;          // PixelNorm, then MappingLayers x EqualLinear (lr 0.01)
    private readonly ConstantInput input;
    private readonly StyledConv conv1;
    private readonly ToRGB to_rgb1;
    private readonly ModuleList<StyledConv> convs;
    private readonly ModuleList<ToRGB> to_rgbs;
    private readonly NoiseBuffers noises;
    private readonly Tensor latent_avg;         // [WDim]

    /// <summary>Creates a randomly initialised generator for <paramref name="config"/>.</summary>
    public StyleGan2Generator(StyleGan2Config config) : base(nameof(StyleGan2Generator))
    {
        Architecture = config.Validate();
        var taps = config.Taps;
        var mapping = new List<nn.Module<Tensor, Tensor>> { new PixelNorm() };
        for (int i = 0; i < config.MappingLayers; i++)
            mapping.Add(new EqualLinear(i == 0 ? config.ZDim : config.WDim, config.WDim, lrMul: config.LrMultiplier, activate: true));
        style = nn.Sequential(mapping.ToArray());

        int c4 = config.ChannelsAt(4);
        input = new ConstantInput(c4);
        conv1 = new StyledConv(c4, c4, config.WDim, upsample: false, taps, config.ConvClamp);
        to_rgb1 = new ToRGB(c4, config.WDim, upsample: false, taps, config.ImgChannels, config.ConvClamp);
        convs = new ModuleList<StyledConv>();
        to_rgbs = new ModuleList<ToRGB>();
        int inC = c4;
        for (int res = 8; res <= config.ImgResolution; res *= 2)
        {
            int outC = config.ChannelsAt(res);
            convs.Add(new StyledConv(inC, outC, config.WDim, upsample: true, taps, config.ConvClamp));
            convs.Add(new StyledConv(outC, outC, config.WDim, upsample: false, taps, config.ConvClamp));
            to_rgbs.Add(new ToRGB(outC, config.WDim, upsample: true, taps, config.ImgChannels, config.ConvClamp));
            inC = outC;
        }
        noises = new NoiseBuffers(config);
        latent_avg = zeros(config.WDim);
        RegisterComponents();
        DetachFromScopes();
    }

    /// <summary>
    /// Moves parameters and buffers to <paramref name="device"/> and keeps them out of any open dispose scope
    /// (a generator built, loaded or moved inside a caller's <c>NewDisposeScope</c> must outlive it).
    /// </summary>
    public override StyleGan2Generator ToDevice(Device device)
    {
        base.ToDevice(device);
        return this;
    }

    /// <summary>
    /// Chooses the modulated-convolution implementation of every layer: fused (grouped conv with per-sample
    /// weights, default) or not (shared weights with input/output scaling; NVIDIA trains this way). Same result.
    /// </summary>
    public void SetFusedModConv(bool fused)
    {
        foreach (var m in modules().OfType<ModulatedConv2d>()) m.Fused = fused;
    }

    /// <summary>The architecture (StyleGAN2's own record; <see cref="Config"/> is its family-neutral view).</summary>
    public StyleGan2Config Architecture { get; }

    /// <inheritdoc />
    public override IGeneratorConfig Config => Architecture;

    /// <inheritdoc />
    public override Tensor LatentAvg => latent_avg;

    /// <summary>The stored constant noise images in layer order, [1, 1, res, res] each.</summary>
    public IReadOnlyList<Tensor> ConstNoise => noises.All();

    /// <inheritdoc />
    public override Tensor Mapping(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != Config.ZDim)
            throw new ArgumentException($"Mapping expects z of shape [N, {Config.ZDim}], got [{string.Join(", ", z.shape)}].");
        return style.forward(z.to(latent_avg.dtype, latent_avg.device));
    }

    /// <summary>
    /// Renders W+ [N, NumWs, WDim] to images [N, ImgChannels, H, W] (in the parameters' dtype, about [-1, 1]),
    /// computing in <see cref="StyleGenerator.ComputeDtype"/>. Random noise comes from <paramref name="generator"/> when given
    /// (a generator on W+'s device), else from the global generator; it is drawn layer by layer, in layer order.
    /// </summary>
    /// <remarks>
    /// Memory: after every layer only the features and the RGB image stay referenced (the dispose-scope rule of the
    /// engine README); with gradients on, autograd keeps by itself what the backward pass needs.
    /// </remarks>
    public override Tensor Synthesis(Tensor wPlus, NoiseMode noise = NoiseMode.Const, Generator? generator = null)
    {
        CheckWPlus(wPlus);
        long n = wPlus.shape[0];
        var stored = noises.All();
        Tensor? Noise(int layer) => noise switch
        {
            NoiseMode.None => null,
            NoiseMode.Const => stored[layer],
            _ => randn([n, 1, stored[layer].shape[2], stored[layer].shape[3]], dtype: stored[layer].dtype, device: wPlus.device, generator: generator),
        };

        using var scope = NewDisposeScope();
        var x = input.forward(n).to(ComputeDtype ?? latent_avg.dtype);          // [N, C4, 4, 4]
        x = scope.Keep(conv1.forward(x, wPlus.select(1, 0), Noise(0)));
        var skip = to_rgb1.forward(x, wPlus.select(1, 1), null);                // [N, 3, 4, 4] in the parameters' dtype
        scope.Keep(x, skip);
        int wi = 1;
        for (int k = 0; k < to_rgbs.Count; k++)
        {
            x = convs[2 * k].forward(x, wPlus.select(1, wi), Noise(2 * k + 1));             // [N, C, 2H, 2W]
            scope.Keep(x, skip);
            x = convs[2 * k + 1].forward(x, wPlus.select(1, wi + 1), Noise(2 * k + 2));
            scope.Keep(x, skip);
            skip = to_rgbs[k].forward(x, wPlus.select(1, wi + 2), skip);
            scope.Keep(x, skip);
            wi += 2;
        }
        return skip.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override bool SupportsHalfCompute => true;

    /// <inheritdoc />
    public override StyleGan2Generator Clone() => CopyStateInto(new StyleGan2Generator(Architecture));

    /// <summary>
    /// Module names that consume W+ entry <paramref name="index"/> in <see cref="Synthesis"/>
    /// (entry 0: conv1; 1: to_rgb1 and convs.0; then convs.(i-1), plus to_rgbs.((i-3)/2) for odd i).
    /// </summary>
    public IReadOnlyList<string> ModulesConsumingW(int index)
    {
        if (index < 0 || index >= Config.NumWs) throw new ArgumentOutOfRangeException(nameof(index));
        var names = new List<string>();
        if (index == 0) names.Add("conv1");
        if (index == 1) names.Add("to_rgb1");
        if (index >= 1 && index - 1 < convs.Count) names.Add($"convs.{index - 1}");
        if (index >= 3 && index % 2 == 1) names.Add($"to_rgbs.{(index - 3) / 2}");
        return names;
    }

    /// <summary>
    /// The module StyleGAN-NADA's adaptive layer freezing trains when W+ entry <paramref name="index"/> is chosen:
    /// [conv1, to_rgb1, convs.0, convs.1, ...][index] (the reference's <c>idx_to_layer</c>).
    /// </summary>
    public string AdaptiveLayerModule(int index)
    {
        if (index < 0 || index >= Config.NumWs) throw new ArgumentOutOfRangeException(nameof(index));
        return index switch { 0 => "conv1", 1 => "to_rgb1", _ => $"convs.{index - 2}" };
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainableLayersForWPlusEntry(int index, Adaptation.WPlusLayerMapping mapping) =>
        Adaptation.TrainableLayers.ForWPlusEntry(index, Config.NumWs, mapping) is { } layer ? [layer] : [];

    /// <inheritdoc />
    public override IReadOnlyList<string> TrainableLayersForPhase(Adaptation.TrainablePhase phase) =>
        Adaptation.TrainableLayers.ForPhase(phase, convs.Count);

    /// <inheritdoc />
    public override IReadOnlyList<ModulatedLayerInfo> ModulatedLayers => _modulated ??= ListModulatedLayers();

    private IReadOnlyList<ModulatedLayerInfo>? _modulated;

    private List<ModulatedLayerInfo> ListModulatedLayers()
    {
        // Synthesis order, with the W+ entry each reads (see Synthesis).
        var list = new List<ModulatedLayerInfo>
        {
            new("conv1.conv", conv1.Conv.InChannels, false, 0),
            new("to_rgb1.conv", to_rgb1.Conv.InChannels, true, 1),
        };
        for (int k = 0; k < to_rgbs.Count; k++)
        {
            list.Add(new($"convs.{2 * k}.conv", convs[2 * k].Conv.InChannels, false, 2 * k + 1));
            list.Add(new($"convs.{2 * k + 1}.conv", convs[2 * k + 1].Conv.InChannels, false, 2 * k + 2));
            list.Add(new($"to_rgbs.{k}.conv", to_rgbs[k].Conv.InChannels, true, 2 * k + 3));
        }
        return list;
    }

    /// <inheritdoc />
    public override void SetStyleOffsets(IReadOnlyDictionary<string, Tensor>? offsets)
    {
        if (offsets is not null) CheckStyleOffsets(offsets);
        foreach (var (name, module) in named_modules())
            if (module is ModulatedConv2d conv)
                conv.StyleOffset = offsets is not null && offsets.TryGetValue(name, out var d) ? d : null;
    }
}
