using Nada.Core.Generators;
using Nada.Core.Ops;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>
/// StyleGAN-NADA's loop for compact domains, with one generator in memory: the frozen images are the base generator's
/// (offsets off, no graph), the trainable images the same generator with a target's offsets d (styles scaled by 1 + d).
/// Only the offsets have gradients and Adam state; the generator's parameters never train. Several targets train in the
/// same step over the same frozen images, each with its own offsets and losses (one backward pass per target, so one
/// target's graph is alive at a time). Layer selection, when on, picks per target the W+ entries whose layers train.
/// </summary>
public sealed class CompactTrainer : IDisposable
{
    private readonly StyleGenerator _generator;
    private readonly IReadOnlyList<(string Target, IAdaptationLoss Loss)> _targets;
    private readonly AdaptationOptions _options;
    private readonly List<Dictionary<string, Tensor>> _offsets = [];
    private readonly IReadOnlyList<ModulatedLayerInfo> _layers;

    /// <summary>
    /// Creates the trainer and zero offsets for every target (so the first step starts from the base generator).
    /// </summary>
    /// <param name="generator">The base generator (its parameters are frozen here; not owned).</param>
    /// <param name="targets">Target names (for loss names in reports) and their losses, in order (not owned).</param>
    /// <param name="options">The run's options (<see cref="AdaptationOptions.CompactToRgb"/>, layer selection, Adam).</param>
    public CompactTrainer(StyleGenerator generator, IReadOnlyList<(string Target, IAdaptationLoss Loss)> targets, AdaptationOptions options)
    {
        if (targets.Count == 0) throw new ArgumentException("A compact run needs at least one target.");
        int numWs = generator.Config.NumWs;
        options.Validate(numWs);
        _generator = generator;
        _targets = targets;
        _options = options;
        foreach (var p in generator.parameters()) p.requires_grad_(false);
        generator.eval();
        Plan = options.PlanFor(generator.LatentAvg.device);
        generator.ComputeDtype = Plan.Generator.DType();
        _layers = generator.ModulatedLayers.Where(l => options.CompactToRgb || !l.IsToRgb).ToList();
        var device = generator.LatentAvg.device;
        using (var scope = NewDisposeScope())
            foreach (var _ in targets)
                _offsets.Add(_layers.ToDictionary(l => l.Name,
                    l => zeros(l.InChannels, ScalarType.Float32, device).requires_grad_(true).DetachFromDisposeScope()));
        int k = options.AutoLayerK ?? numWs;
        SelectsLayers = options.AutoLayerIters > 0 && k < numWs;
        if (!SelectsLayers)
        {
            // k >= the W+ count chooses every entry, so every layer; without selection the phase names the layers.
            var prefixes = generator.TrainableLayersForPhase(options.Phase);
            FixedLayers = options.AutoLayerIters > 0
                ? _layers.Select(l => l.Name).ToList()
                : _layers.Where(l => TrainableLayers.Matches(l.Name + ".", prefixes) || l.IsToRgb).Select(l => l.Name).ToList();
            if (FixedLayers.Count == 0)
                throw new ArgumentException($"The phase {options.Phase} trains no modulated layer of this generator; choose another phase.");
            for (int t = 0; t < targets.Count; t++) SetTrainable(t, FixedLayers);
        }
        var (beta1, beta2) = options.AdamBetas;
        Optimizer = new AdamOptimizer(AllOffsets().Select(kv => (kv.Key, kv.Value)), options.AdamLearningRate, beta1, beta2);
        if (Plan.Generator == Ops.ComputePrecision.Fp16) Optimizer.LossScale = options.Fp16LossScale;
    }

    /// <summary>The precisions the generator (and, where the caller built them so, the CLIP models) compute in; offsets stay float32.</summary>
    public Ops.PrecisionPlan Plan { get; }

    /// <summary>The optimiser over every target's offsets (its state goes into run checkpoints).</summary>
    public AdamOptimizer Optimizer { get; }

    /// <summary>True when layer selection runs every step (k below the W+ count and iterations above 0).</summary>
    public bool SelectsLayers { get; }

    /// <summary>The layers that train in every step when layer selection does not run; null when it does.</summary>
    public IReadOnlyList<string>? FixedLayers { get; }

    /// <summary>The modulated layers that have offsets (to_rgb only with <see cref="AdaptationOptions.CompactToRgb"/>).</summary>
    public IReadOnlyList<ModulatedLayerInfo> Layers => _layers;

    /// <summary>The base generator's family ("StyleGan2", "StyleGan3").</summary>
    public string Family => _generator.Config.Family.ToString();

    /// <summary>The targets, in order.</summary>
    public IReadOnlyList<string> Targets => _targets.Select(t => t.Target).ToList();

    /// <summary>Offsets of target <paramref name="target"/> by layer name (live tensors on the device; do not dispose).</summary>
    public IReadOnlyDictionary<string, Tensor> OffsetsOf(int target) => _offsets[target];

    /// <summary>Checkpoint name of a target's layer offsets: <c>tN/LAYER</c>.</summary>
    public static string ParameterName(int target, string layer) => $"t{target}/{layer}";

    /// <summary>Every target's offsets by <see cref="ParameterName"/> (live tensors; do not dispose).</summary>
    public Dictionary<string, Tensor> AllOffsets()
    {
        var all = new Dictionary<string, Tensor>();
        for (int t = 0; t < _offsets.Count; t++)
            foreach (var (layer, d) in _offsets[t]) all[ParameterName(t, layer)] = d;
        return all;
    }

    /// <summary>Copies offsets saved from <see cref="AllOffsets"/> into the trainer.</summary>
    /// <exception cref="InvalidDataException">The saved set lacks one of this run's offsets or has another size.</exception>
    public void LoadOffsets(IReadOnlyDictionary<string, Tensor> saved)
    {
        using var noGrad = no_grad();
        foreach (var (name, d) in AllOffsets())
        {
            if (!saved.TryGetValue(name, out var s) || !s.shape.SequenceEqual(d.shape))
                throw new InvalidDataException($"The run checkpoint lacks the offsets '{name}' of this run's targets and layers; it belongs to another run. Start the run afresh.");
            d.copy_(s);
        }
    }

    /// <summary>
    /// One training step on the given latents: the base images once, then per target its images, losses, backward;
    /// one Adam update of every offset that got a gradient. Random noise comes from <paramref name="noise"/> (null: the
    /// global generator). The returned tensors are detached and moved out of the step's dispose scope. Loss parts keep
    /// their names with one target and become <c>NAME@TARGET</c> (plus <c>total@TARGET</c>) with several.
    /// </summary>
    public TrainStepResult Step(Tensor z, Tensor? mixZ, int mixIndex, Tensor? selectionZ, Generator? noise = null)
    {
        if (SelectsLayers && selectionZ is null)
            throw new ArgumentNullException(nameof(selectionZ), "Layer selection is on: a selection batch is needed.");
        using var scope = NewDisposeScope();
        try
        {
            int numWs = _generator.Config.NumWs;
            bool mix = mixZ is not null && mixIndex >= 1 && mixIndex < numWs;
            Tensor wPlus, frozenImages;
            _generator.SetStyleOffsets(null);
            using (no_grad())
            {
                wPlus = _generator.MapToWPlus(z, 1f, mix ? mixZ : null, mix ? mixIndex : -1);        // [B, NumWs, WDim]
                frozenImages = _generator.Synthesis(wPlus, _options.TrainNoise, noise);               // [B, 3, H, W]
            }
            Optimizer.ZeroGrad();
            Tensor? total = null;
            var parts = new Dictionary<string, Tensor>();
            var chosen = new SortedSet<int>();
            LayerSelection? first = null;
            for (int t = 0; t < _targets.Count; t++)
            {
                var (loss, targetParts, selection) = TrainTarget(t, wPlus, frozenImages, selectionZ, noise);
                total = total is null ? loss : total + loss;
                foreach (var (name, value) in targetParts) parts[name] = value;
                if (selection is not null)
                {
                    first ??= selection;
                    chosen.UnionWith(selection.Chosen);
                }
            }
            bool applied = Optimizer.Step();
            Optimizer.ZeroGrad();
            var reported = first is null ? null : first with { Chosen = [.. chosen] };
            return new TrainStepResult(total!.MoveToOuterDisposeScope(), parts.ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope()), reported, !applied);
        }
        finally
        {
            _generator.SetStyleOffsets(null);
        }
    }

    /// <summary>One target's forward and backward pass in its own dispose scope; returns its detached loss and parts.</summary>
    private (Tensor Loss, Dictionary<string, Tensor> Parts, LayerSelection? Selection) TrainTarget(int t, Tensor wPlus, Tensor frozenImages, Tensor? selectionZ, Generator? noise)
    {
        using var scope = NewDisposeScope();
        var (target, loss) = _targets[t];
        _generator.SetStyleOffsets(_offsets[t]);
        LayerSelection? selection = null;
        if (SelectsLayers)
        {
            int numWs = _generator.Config.NumWs;
            selection = LayerSelector.Select(_generator, _generator, loss, selectionZ!, _options.AutoLayerIters,
                _options.WSgdLr, _options.AutoLayerK ?? numWs, _options.TrainNoise, noise, Optimizer.LossScale);
            var entries = selection.Chosen.ToHashSet();
            SetTrainable(t, _layers.Where(l => entries.Contains(l.WPlusEntry)).Select(l => l.Name).ToList());
        }
        var images = _generator.Synthesis(wPlus, _options.TrainNoise, noise);                        // [B, 3, H, W]
        var (total, terms) = loss.Compute(frozenImages, images);
        if (total.requires_grad)
            (Optimizer.LossScale == 1 ? total : total * Optimizer.LossScale).backward();                   // no graph when the chosen W+ entries feed no layer with offsets (only to_rgb, say)
        bool several = _targets.Count > 1;
        var parts = new Dictionary<string, Tensor>();
        foreach (var (name, value) in terms)
            parts[several ? $"{name}@{target}" : name] = value.detach().MoveToOuterDisposeScope();
        if (several) parts[$"total@{target}"] = total.detach().MoveToOuterDisposeScope();
        return (total.detach().MoveToOuterDisposeScope(), parts, selection);
    }

    /// <summary>Base images and each target's images of fixed latents (no gradient), for previews: [N, 3, H, W] each.</summary>
    public (Tensor Base, IReadOnlyList<Tensor> Domains) Render(Tensor z, float truncationPsi)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        try
        {
            _generator.SetStyleOffsets(null);
            var w = _generator.Truncate(_generator.Mapping(z), truncationPsi).unsqueeze(1).repeat(1, _generator.Config.NumWs, 1);
            var baseImages = _generator.Synthesis(w, NoiseMode.Const).MoveToOuterDisposeScope();
            var domains = new List<Tensor>();
            for (int t = 0; t < _offsets.Count; t++)
            {
                _generator.SetStyleOffsets(_offsets[t]);
                domains.Add(_generator.Synthesis(w, NoiseMode.Const).MoveToOuterDisposeScope());
            }
            return (baseImages, domains);
        }
        finally
        {
            _generator.SetStyleOffsets(null);
        }
    }

    private void SetTrainable(int target, IReadOnlyCollection<string> layers)
    {
        foreach (var (name, d) in _offsets[target])
            d.requires_grad_(layers.Contains(name));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _generator.SetStyleOffsets(null);
        Optimizer.Dispose();
        foreach (var set in _offsets)
            foreach (var d in set.Values) d.Dispose();
        _offsets.Clear();
    }
}
