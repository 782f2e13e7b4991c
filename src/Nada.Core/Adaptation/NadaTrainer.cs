using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>The device-side result of one training step; read it on the host only when reporting.</summary>
/// <param name="Total">The step's loss (scalar, detached).</param>
/// <param name="Parts">Loss parts by name (detached).</param>
/// <param name="Selection">Layer selection of the step, when it ran.</param>
/// <param name="UpdateSkipped">float16 only: a gradient was not finite, so Adam skipped the update and halved the loss scale.</param>
public sealed record TrainStepResult(Tensor Total, IReadOnlyDictionary<string, Tensor> Parts, LayerSelection? Selection, bool UpdateSkipped = false);

/// <summary>
/// One StyleGAN-NADA training step after another: a frozen and a trainable generator render the same W from
/// the frozen mapping network, the CLIP losses compare the two images, Adam updates the trainable layers.
/// Adaptive layer freezing picks those layers per step; otherwise a phase preset fixes them.
/// </summary>
/// <remarks>
/// Precision (<see cref="AdaptationOptions.Precision"/>): both generators synthesise in the plan's dtype with float32
/// parameters; the images, the losses, the gradients of the parameters and Adam's state are float32. In float16 the
/// loss is multiplied by <see cref="AdamOptimizer.LossScale"/> before the backward pass (half-precision activation
/// gradients underflow otherwise) and Adam divides it out.
/// Memory: the frozen images and their CLIP features are computed without a graph; every layer releases its
/// intermediates as it goes, so the step holds what autograd saved and little else (see the engine README).
/// </remarks>
public sealed class NadaTrainer : IDisposable
{
    private readonly StyleGenerator _frozen;
    private readonly StyleGenerator _trainable;
    private readonly IAdaptationLoss _loss;
    private readonly AdaptationOptions _options;
    private readonly List<(string Name, TorchSharp.Modules.Parameter Param)> _params;
    private readonly IReadOnlyList<string>? _fixedLayers;

    /// <summary>The optimiser (its state goes into run checkpoints).</summary>
    public AdamOptimizer Optimizer { get; }

    /// <summary>True when layer selection runs every step (k below the W+ count and iterations above 0).</summary>
    public bool SelectsLayers { get; }

    /// <summary>Creates the trainer; both generators must live on the same device.</summary>
    public NadaTrainer(StyleGenerator frozen, StyleGenerator trainable, IAdaptationLoss loss, AdaptationOptions options)
    {
        _frozen = frozen;
        _trainable = trainable;
        _loss = loss;
        _options = options;
        int numWs = trainable.Config.NumWs;
        options.Validate(numWs);
        foreach (var p in frozen.parameters())
            p.requires_grad_(false);
        _frozen.eval();
        Plan = options.PlanFor(trainable.LatentAvg.device);
        var dtype = Plan.Generator.DType();
        _frozen.ComputeDtype = dtype;
        _trainable.ComputeDtype = dtype;
        _params = trainable.named_parameters().Select(np => (np.name, np.parameter)).ToList();
        int k = options.AutoLayerK ?? numWs;
        SelectsLayers = options.AutoLayerIters > 0 && k < numWs;
        if (!SelectsLayers)
        {
            // k >= the W+ count would choose every entry: skip the selection's extra forward and backward.
            _fixedLayers = options.AutoLayerIters > 0
                ? TrainableLayers.ForAllEntries(trainable, options.LayerMapping)
                : trainable.TrainableLayersForPhase(options.Phase);
            SetTrainable(_fixedLayers);
        }
        var (beta1, beta2) = options.AdamBetas;
        Optimizer = new AdamOptimizer(_params.Select(p => (p.Name, (Tensor)p.Param)), options.AdamLearningRate, beta1, beta2);
        if (Plan.Generator == Ops.ComputePrecision.Fp16) Optimizer.LossScale = options.Fp16LossScale;
    }

    /// <summary>The precisions the generators (and, where the caller built them so, the CLIP models) compute in.</summary>
    public Ops.PrecisionPlan Plan { get; }

    /// <summary>Names of the parameters that train at the moment.</summary>
    public IReadOnlyList<string> TrainableParameterNames =>
        _params.Where(p => p.Param.requires_grad).Select(p => p.Name).ToList();

    /// <summary>Makes exactly the parameters under <paramref name="prefixes"/> trainable.</summary>
    public void SetTrainable(IReadOnlyList<string> prefixes)
    {
        foreach (var (name, p) in _params)
            p.requires_grad_(TrainableLayers.Matches(name, prefixes));
    }

    /// <summary>The W+ codes of a batch: mapping(z), with style mixing from <paramref name="mixZ"/> at <paramref name="mixIndex"/>.</summary>
    public Tensor WPlus(Tensor z, Tensor? mixZ = null, int mixIndex = -1)
    {
        int numWs = _trainable.Config.NumWs;
        using var noGrad = no_grad();
        var w = _frozen.Mapping(z).unsqueeze(1).repeat(1, numWs, 1);          // [B, NumWs, WDim]
        if (mixZ is null || mixIndex <= 0 || mixIndex >= numWs)
            return w;
        var w2 = _frozen.Mapping(mixZ).unsqueeze(1).repeat(1, numWs - mixIndex, 1);
        return cat([w.narrow(1, 0, mixIndex), w2], 1);
    }

    /// <summary>
    /// One training step on the given latents. Layer selection (when on) uses <paramref name="selectionZ"/>.
    /// Random noise comes from <paramref name="noise"/> (null: the global generator).
    /// The returned tensors are detached and moved out of the step's dispose scope.
    /// </summary>
    public TrainStepResult Step(Tensor z, Tensor? mixZ, int mixIndex, Tensor? selectionZ, Generator? noise = null)
    {
        using var scope = NewDisposeScope();
        LayerSelection? selection = null;
        if (SelectsLayers)
        {
            if (selectionZ is null)
                throw new ArgumentNullException(nameof(selectionZ), "Layer selection is on: a selection batch is needed.");
            int numWs = _trainable.Config.NumWs;
            selection = LayerSelector.Select(_frozen, _trainable, _loss, selectionZ, _options.AutoLayerIters,
                _options.WSgdLr, _options.AutoLayerK ?? numWs, _options.TrainNoise, noise, Optimizer.LossScale);
            var layers = selection.Chosen
                .SelectMany(i => _trainable.TrainableLayersForWPlusEntry(i, _options.LayerMapping))
                .ToList();
            SetTrainable(layers);
        }
        var wPlus = WPlus(z, mixZ, mixIndex);                                  // [B, NumWs, WDim]
        Tensor frozenImages;
        using (no_grad())
            frozenImages = _frozen.Synthesis(wPlus, _options.TrainNoise, noise);        // [B, 3, H, W]
        var trainableImages = _trainable.Synthesis(wPlus, _options.TrainNoise, noise);   // [B, 3, H, W]
        var (total, parts) = _loss.Compute(frozenImages, trainableImages);
        Optimizer.ZeroGrad();
        (Optimizer.LossScale == 1 ? total : total * Optimizer.LossScale).backward();
        bool applied = Optimizer.Step();
        Optimizer.ZeroGrad();
        var detachedParts = parts.ToDictionary(kv => kv.Key, kv => kv.Value.detach().MoveToOuterDisposeScope());
        return new TrainStepResult(total.detach().MoveToOuterDisposeScope(), detachedParts, selection, !applied);
    }

    /// <summary>Frozen and adapted renders of fixed latents (no gradient), for previews.</summary>
    public (Tensor Frozen, Tensor Adapted) Render(Tensor z, float truncationPsi)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var w = _frozen.Truncate(_frozen.Mapping(z), truncationPsi).unsqueeze(1).repeat(1, _trainable.Config.NumWs, 1);
        var a = _frozen.Synthesis(w, NoiseMode.Const);
        var b = _trainable.Synthesis(w, NoiseMode.Const);
        return (a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose() => Optimizer.Dispose();
}
