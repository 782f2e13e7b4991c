using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>
/// Adam exactly as PyTorch's <c>torch.optim.Adam</c> (single-tensor path, no weight decay, no AMSGrad),
/// over named parameters, with its state readable and writable as tensors so a run checkpoint can hold it.
/// </summary>
/// <remarks>
/// Parameters without a gradient after the backward pass are skipped and their state does not advance,
/// as PyTorch does for gradients set to <c>None</c>: layer selection changes the trained set every step,
/// and a frozen layer's bias correction must not move. Written here rather than taken from TorchSharp's
/// <c>optim.Adam</c> because that optimiser's state is only reachable through its own binary file format
/// and its <c>zero_grad</c> zeroes gradients instead of dropping them, which would advance frozen layers.
/// For float16 training it also does what PyTorch's <c>GradScaler</c> does around <c>optimizer.step()</c>: the
/// gradients carry a <see cref="LossScale"/> factor, which <see cref="Step"/> divides out, and a step whose gradients
/// are not all finite is skipped (state untouched) and halves the scale. The scale never grows again (a NADA run is a
/// few hundred steps; GradScaler grows it only after 2000 clean ones) and is part of the exported state.
/// </remarks>
public sealed class AdamOptimizer : IDisposable
{
    private readonly IReadOnlyList<(string Name, Tensor Param)> _params;
    private readonly Dictionary<string, ParamState> _state = new();

    /// <summary>Learning rate.</summary>
    public double LearningRate { get; }
    /// <summary>Exponential decay of the first moment.</summary>
    public double Beta1 { get; }
    /// <summary>Exponential decay of the second moment.</summary>
    public double Beta2 { get; }
    /// <summary>Term added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>
    /// The factor the gradients carry (loss scaling); 1 = none. <see cref="Step"/> divides it out. Setting it (even to 1)
    /// turns on the finite check of <see cref="Step"/>, which then stays on: the scale may halve down to 1 and below.
    /// </summary>
    public double LossScale
    {
        get => _lossScale;
        set
        {
            if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentException($"A loss scale must be positive and finite, got {value}.");
            _lossScale = value;
            ScalesLoss = true;
        }
    }

    private double _lossScale = 1;

    /// <summary>Whether loss scaling (and with it the finite check of every step) is on.</summary>
    public bool ScalesLoss { get; private set; }

    /// <summary>Steps skipped because a gradient was not finite (only with a <see cref="LossScale"/> other than 1).</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>Name of the loss-scale entry in <see cref="ExportState"/>'s tensors.</summary>
    public const string LossScaleKey = "loss_scale";

    /// <summary>Creates the optimiser over named parameters (names are the checkpoint keys of the state).</summary>
    public AdamOptimizer(IEnumerable<(string Name, Tensor Param)> parameters, double learningRate, double beta1, double beta2, double eps = 1e-8)
    {
        _params = parameters.ToList();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _params)
        {
            p.grad?.Dispose();
            p.grad = null;
        }
    }

    /// <summary>
    /// One Adam update of every parameter that has a gradient (divided by <see cref="LossScale"/>). With a loss scale,
    /// first checks that every gradient is finite (one host synchronisation); if not, skips the update, halves the
    /// scale and returns false.
    /// </summary>
    public bool Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        if (ScalesLoss && !GradientsFinite())
        {
            _lossScale /= 2;
            SkippedSteps++;
            return false;
        }
        foreach (var (name, p) in _params)
        {
            using var paramScope = NewDisposeScope();
            var grad = p.grad;
            if (grad is null)
                continue;
            if (_lossScale != 1)
                grad = grad / _lossScale;
            if (!_state.TryGetValue(name, out var st))
            {
                st = new ParamState(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope(), 0);
                _state[name] = st;
            }
            st.Step += 1;
            st.ExpAvg.lerp_(grad, 1 - Beta1);                                  // m = b1 m + (1 - b1) g
            st.ExpAvgSq.mul_(Beta2).addcmul_(grad, grad, 1 - Beta2);           // v = b2 v + (1 - b2) g^2
            double biasCorrection1 = 1 - Math.Pow(Beta1, st.Step);
            double biasCorrection2 = 1 - Math.Pow(Beta2, st.Step);
            double stepSize = LearningRate / biasCorrection1;
            var denom = (st.ExpAvgSq.sqrt() / Math.Sqrt(biasCorrection2)).add_(Eps);
            p.addcdiv_(st.ExpAvg, denom, -stepSize);
        }
        return true;
    }

    private bool GradientsFinite()
    {
        var checks = _params.Where(p => p.Param.grad is not null).Select(p => isfinite(p.Param.grad!).all()).ToList();
        return checks.Count == 0 || stack(checks).all().item<bool>();
    }

    /// <summary>The state as tensors (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>) and step counts by name.</summary>
    public (Dictionary<string, Tensor> Tensors, Dictionary<string, long> Steps) ExportState()
    {
        var tensors = new Dictionary<string, Tensor>();
        var steps = new Dictionary<string, long>();
        foreach (var (name, st) in _state)
        {
            tensors["exp_avg." + name] = st.ExpAvg;
            tensors["exp_avg_sq." + name] = st.ExpAvgSq;
            steps[name] = st.Step;
        }
        if (ScalesLoss) tensors[LossScaleKey] = tensor(LossScale, dtype: ScalarType.Float64);
        return (tensors, steps);
    }

    /// <summary>Restores state written by <see cref="ExportState"/>; tensors are copied to each parameter's device.</summary>
    public void ImportState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, long> steps)
    {
        foreach (var st in _state.Values)
            st.Dispose();
        _state.Clear();
        var byName = _params.ToDictionary(p => p.Name, p => p.Param);
        if (tensors.TryGetValue(LossScaleKey, out var scale)) LossScale = scale.to(ScalarType.Float64).item<double>();
        foreach (var (name, step) in steps)
        {
            if (!byName.TryGetValue(name, out var p))
                throw new InvalidDataException($"Optimiser state names parameter '{name}', which this generator does not have.");
            if (!tensors.TryGetValue("exp_avg." + name, out var m) || !tensors.TryGetValue("exp_avg_sq." + name, out var v))
                throw new InvalidDataException($"Optimiser state for '{name}' is incomplete.");
            _state[name] = new ParamState(
                m.to(p.dtype, p.device).clone().DetachFromDisposeScope(),
                v.to(p.dtype, p.device).clone().DetachFromDisposeScope(),
                step);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var st in _state.Values)
            st.Dispose();
        _state.Clear();
    }

    private sealed class ParamState(Tensor expAvg, Tensor expAvgSq, long step) : IDisposable
    {
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public long Step { get; set; } = step;

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}
