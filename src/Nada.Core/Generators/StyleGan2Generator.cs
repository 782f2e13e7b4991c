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
public sealed class StyleGan2Generator : nn.Module
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
        Config = config.Validate();
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
    public StyleGan2Generator ToDevice(Device device)
    {
        this.to(device);
        DetachFromScopes();
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

    /// <summary>The generator owns its tensors: detach them from whatever dispose scope was open when they were made.</summary>
    private void DetachFromScopes()
    {
        foreach (var p in parameters()) p.DetachFromDisposeScope();
        foreach (var b in buffers()) b.DetachFromDisposeScope();
    }

    /// <summary>The architecture.</summary>
    public StyleGan2Config Config { get; }

    /// <summary>The average W, centre of truncation [WDim].</summary>
    public Tensor LatentAvg => latent_avg;

    /// <summary>The stored constant noise images in layer order, [1, 1, res, res] each.</summary>
    public IReadOnlyList<Tensor> ConstNoise => noises.All();

    /// <summary>Maps z [N, ZDim] (any device/dtype; converted to the generator's) to w [N, WDim].</summary>
    public Tensor Mapping(Tensor z)
    {
        if (z.dim() != 2 || z.shape[1] != Config.ZDim)
            throw new ArgumentException($"Mapping expects z of shape [N, {Config.ZDim}], got [{string.Join(", ", z.shape)}].");
        return style.forward(z.to(latent_avg.dtype, latent_avg.device));
    }

    /// <summary>Moves w ([N, WDim] or [N, NumWs, WDim]) toward <see cref="LatentAvg"/>: avg + psi * (w - avg).</summary>
    public Tensor Truncate(Tensor w, float psi) => psi == 1f ? w : latent_avg + psi * (w - latent_avg);

    /// <summary>
    /// Renders W+ [N, NumWs, WDim] to images [N, ImgChannels, H, W] in about [-1, 1]. Random noise comes from
    /// <paramref name="generator"/> when given (a generator on W+'s device), else from the global generator.
    /// </summary>
    public Tensor Synthesis(Tensor wPlus, NoiseMode noise = NoiseMode.Const, Generator? generator = null)
    {
        if (wPlus.dim() != 3 || wPlus.shape[1] != Config.NumWs || wPlus.shape[2] != Config.WDim)
            throw new ArgumentException(
                $"Synthesis expects W+ of shape [N, {Config.NumWs}, {Config.WDim}], got [{string.Join(", ", wPlus.shape)}].");
        long n = wPlus.shape[0];
        var noiseInputs = NoiseInputs(noise, n, wPlus.device, generator);

        var x = input.forward(n);                                               // [N, C4, 4, 4]
        x = conv1.forward(x, wPlus.select(1, 0), noiseInputs[0]);
        var skip = to_rgb1.forward(x, wPlus.select(1, 1), null);                // [N, 3, 4, 4]
        int wi = 1;
        for (int k = 0; k < to_rgbs.Count; k++)
        {
            x = convs[2 * k].forward(x, wPlus.select(1, wi), noiseInputs[2 * k + 1]);       // [N, C, 2H, 2W]
            x = convs[2 * k + 1].forward(x, wPlus.select(1, wi + 1), noiseInputs[2 * k + 2]);
            skip = to_rgbs[k].forward(x, wPlus.select(1, wi + 2), skip);
            wi += 2;
        }
        return skip;
    }

    /// <summary>
    /// z [N, ZDim] to images: mapping, truncation toward <see cref="LatentAvg"/>, optional style mixing
    /// (<paramref name="z"/> drives W+ entries [0, mixIndex), <paramref name="mixZ"/> entries [mixIndex, NumWs)),
    /// synthesis. With <paramref name="mixZ"/> and a negative <paramref name="mixIndex"/> the index is drawn
    /// uniformly from [1, NumWs), as rosinality's generator does.
    /// </summary>
    public Tensor Generate(Tensor z, float truncationPsi = 1f, NoiseMode noise = NoiseMode.Const, Tensor? mixZ = null,
        int mixIndex = -1)
    {
        var wPlus = MapToWPlus(z, truncationPsi, mixZ, mixIndex);
        return Synthesis(wPlus, noise);
    }

    /// <summary>The W+ that <see cref="Generate"/> renders: [N, NumWs, WDim].</summary>
    public Tensor MapToWPlus(Tensor z, float truncationPsi = 1f, Tensor? mixZ = null, int mixIndex = -1)
    {
        int numWs = Config.NumWs;
        var w = Truncate(Mapping(z), truncationPsi);                           // [N, WDim]
        if (mixZ is null) return w.unsqueeze(1).expand(-1, numWs, -1);
        if (mixIndex < 0) mixIndex = Random.Shared.Next(1, numWs);  // rosinality: random inject index in [1, NumWs)
        if (mixIndex < 1 || mixIndex >= numWs)
            throw new ArgumentOutOfRangeException(nameof(mixIndex), mixIndex, $"Style mixing index must be in [1, {numWs - 1}].");
        var w2 = Truncate(Mapping(mixZ), truncationPsi);                        // [N, WDim]
        return cat([w.unsqueeze(1).expand(-1, mixIndex, -1), w2.unsqueeze(1).expand(-1, numWs - mixIndex, -1)], 1);
    }

    private Tensor?[] NoiseInputs(NoiseMode mode, long n, Device device, Generator? generator)
    {
        var result = new Tensor?[Config.NumConvLayers];
        if (mode == NoiseMode.None) return result;
        var stored = noises.All();
        for (int i = 0; i < result.Length; i++)
            result[i] = mode == NoiseMode.Const ? stored[i] : randn(new[] { n, 1, stored[i].shape[2], stored[i].shape[3] }, dtype: stored[i].dtype, device: device, generator: generator);
        return result;
    }

    /// <summary>A deep copy: same config, parameters, buffers and requires_grad flags, on the same device.</summary>
    public StyleGan2Generator Clone()
    {
        var copy = new StyleGan2Generator(Config);
        var device = latent_avg.device;
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

    /// <summary>Parameters whose names start with <paramref name="modulePrefix"/> + "." (state-dict names).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> ParametersOf(string modulePrefix) =>
        named_parameters().Where(p => p.name.StartsWith(modulePrefix + ".", StringComparison.Ordinal))
            .Select(p => (p.name, p.parameter));
}
