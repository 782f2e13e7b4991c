using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// NVIDIA's <c>FullyConnectedLayer</c> with equalised learning rate: weights stored as N(0, weightInit / lrMul) and
/// multiplied by lrMul / sqrt(in) at run time, bias stored as biasInit / lrMul and multiplied by lrMul; optionally
/// followed by the leaky ReLU (slope 0.2, gain sqrt 2). Fields are NVIDIA's state-dict names.
/// </summary>
public sealed class FullyConnectedLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;  // [out, in]
    private readonly Parameter bias;    // [out]
    private readonly float _weightGain;
    private readonly float _biasGain;
    private readonly bool _lrelu;

    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="lrelu">Leaky ReLU after the bias (mapping layers) or linear (affines).</param>
    /// <param name="lrMultiplier">Learning-rate multiplier (0.01 in the mapping network).</param>
    /// <param name="weightInit">Initial standard deviation of the weights (0 for the input's affine).</param>
    /// <param name="biasInit">Initial bias, one value for all or one per output.</param>
    public FullyConnectedLayer(int inFeatures, int outFeatures, bool lrelu = false, float lrMultiplier = 1f,
        float weightInit = 1f, float[]? biasInit = null) : base(nameof(FullyConnectedLayer))
    {
        weight = new Parameter(randn(outFeatures, inFeatures) * (weightInit / lrMultiplier), true);
        var b = biasInit is null ? zeros(outFeatures)
            : biasInit.Length == 1 ? full(outFeatures, biasInit[0]) : tensor(biasInit);
        if (b.shape[0] != outFeatures) throw new ArgumentException($"biasInit has {b.shape[0]} values for {outFeatures} outputs.");
        bias = new Parameter(b / lrMultiplier, true);
        _weightGain = lrMultiplier / MathF.Sqrt(inFeatures);
        _biasGain = lrMultiplier;
        _lrelu = lrelu;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        RegisterComponents();
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>[N, in] -> [N, out].</summary>
    public override Tensor forward(Tensor x)
    {
        var w = weight.to(x.dtype) * _weightGain;                               // [out, in]
        var b = _biasGain == 1f ? bias.to(x.dtype) : bias.to(x.dtype) * _biasGain;
        return _lrelu ? BiasAct.LeakyRelu(x.matmul(w.t()), b) : nn.functional.linear(x, w, b);
    }
}
