using Nada.Core.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan2;

/// <summary>
/// Fully connected layer with equalised learning rate: weights stored as N(0, 1/lrMul) and scaled by
/// lrMul/sqrt(in) at run time, bias scaled by lrMul; optionally followed by a fused leaky ReLU (gain sqrt 2).
/// </summary>
public sealed class EqualLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [out, in]
    private readonly Parameter bias;   // [out]
    private readonly float _scale;
    private readonly float _lrMul;
    private readonly bool _activate;

    /// <summary>Creates the layer.</summary>
    /// <param name="inDim">Input features.</param>
    /// <param name="outDim">Output features.</param>
    /// <param name="biasInit">Initial bias (1 for style modulations).</param>
    /// <param name="lrMul">Learning-rate multiplier (0.01 in the mapping network).</param>
    /// <param name="activate">Apply the fused leaky ReLU.</param>
    public EqualLinear(int inDim, int outDim, float biasInit = 0f, float lrMul = 1f, bool activate = false)
        : base(nameof(EqualLinear))
    {
        weight = new Parameter(randn(outDim, inDim).div_(lrMul), true);
        bias = new Parameter(full(outDim, biasInit), true);
        _scale = lrMul / MathF.Sqrt(inDim);
        _lrMul = lrMul;
        _activate = activate;
        InDim = inDim;
        OutDim = outDim;
        RegisterComponents();
    }

    /// <summary>Input features.</summary>
    public int InDim { get; }

    /// <summary>Output features.</summary>
    public int OutDim { get; }

    /// <summary>[N, in] -> [N, out].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (_activate)
        {
            var y = nn.functional.linear(x, weight * _scale);
            return BiasAct.LeakyRelu(y, bias * _lrMul).MoveToOuterDisposeScope();
        }
        return nn.functional.linear(x, weight * _scale, bias * _lrMul).MoveToOuterDisposeScope();
    }
}
