using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// NVIDIA's <c>SynthesisNetwork</c>: the Fourier-feature <c>input</c> reads W+ entry 0, then layers
/// <c>L0 .. L(NumLayers)</c> (registered under NVIDIA's names <c>L{i}_{size}_{channels}</c>) read entries 1 .. NumWs-1,
/// the last being ToRGB; the output is multiplied by <see cref="StyleGan3Config.OutputScale"/>. Every block runs in
/// its own dispose scope and the previous block's output is freed once the next one exists, so intermediates live
/// for one block at a time (autograd keeps what backward needs by itself).
/// </summary>
public sealed class SynthesisNetwork : nn.Module<Tensor, Tensor>
{
    private readonly SynthesisInput input;
    private readonly List<SynthesisLayer> _layers = [];
    private readonly StyleGan3Config _config;

    /// <summary>Creates the network (random weights, designed filters).</summary>
    public SynthesisNetwork(StyleGan3Config config) : base(nameof(SynthesisNetwork))
    {
        _config = config;
        var specs = config.Layers;
        var first = specs[0];
        input = new SynthesisInput(config.WDim, first.InChannels, first.InSize, first.InSamplingRate, first.InCutoff);
        foreach (var spec in specs)
        {
            var layer = new SynthesisLayer(spec, config.WDim, config.ConvClamp);
            _layers.Add(layer);
        }
        RegisterComponents();
        foreach (var layer in _layers) register_module(layer.Spec.Name, layer);
    }

    /// <summary>The Fourier-feature input.</summary>
    public SynthesisInput Input => input;

    /// <summary>The layers L0 .. L(NumLayers), ToRGB last.</summary>
    public IReadOnlyList<SynthesisLayer> Layers => _layers;

    /// <summary>
    /// The dtype the layers compute in (null: float32). The Fourier-feature input, the affine styles and the modulated
    /// weights (with their normalisation and demodulation) stay in float32, as in NVIDIA's mixed precision; features,
    /// convolutions and the filtered activations run in this dtype; the image comes back in float32.
    /// </summary>
    public ScalarType? ComputeDtype { get; set; }

    /// <summary>W+ [N, NumWs, WDim] -> images [N, ImgChannels, ImgResolution, ImgResolution] (float32).</summary>
    public override Tensor forward(Tensor ws)
    {
        ws = ws.to(ScalarType.Float32);
        Tensor x;
        using (var scope = NewDisposeScope())
            x = input.forward(ws.select(1, 0)).to(ComputeDtype ?? ScalarType.Float32).MoveToOuterDisposeScope();     // [N, C0, S0, S0]
        for (int i = 0; i < _layers.Count; i++)
        {
            Tensor y;
            using (var scope = NewDisposeScope())
                y = _layers[i].forward(x, ws.select(1, i + 1)).MoveToOuterDisposeScope();
            x.Dispose();
            x = y;                                                              // [N, C_i, S_i, S_i]
        }
        if (_config.OutputScale != 1f || x.dtype != ScalarType.Float32)
        {
            var scaled = x.to(ScalarType.Float32) * _config.OutputScale;
            x.Dispose();
            x = scaled;
        }
        return x;                                                               // [N, 3, R, R]
    }
}
