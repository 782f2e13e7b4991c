using System.Text.Json.Serialization;

namespace Nada.Core.Adaptation;

/// <summary>Which generator layers train when no adaptive layer selection runs (the reference's phases).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainablePhase>))]
public enum TrainablePhase
{
    /// <summary>Learned constant, first convolution and every synthesis convolution; no mapping, no ToRGB (the reference's default).</summary>
    Default,
    /// <summary>Constant, first convolution and convolutions 2 to 9 (coarse-to-mid texture).</summary>
    Texture,
    /// <summary>Constant, first convolution and convolutions 0 and 1 (coarse shape).</summary>
    Shape,
    /// <summary>Constant, first convolution and convolutions 0 to 2.</summary>
    ShapeExpanded,
    /// <summary>Constant, first convolution and convolutions 0 to 9 (everything but the finest layers).</summary>
    NoFine,
    /// <summary>Every parameter, mapping network and ToRGB layers included.</summary>
    All,
}

/// <summary>How a chosen W+ entry becomes a trainable layer in adaptive layer freezing.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WPlusLayerMapping>))]
public enum WPlusLayerMapping
{
    /// <summary>
    /// Entry i trains the convolution that consumes entry i: 0 -> conv1, i -> convs[i-1]. The last entry only
    /// feeds the last ToRGB, which the reference never trains, so choosing it trains nothing.
    /// </summary>
    FollowsGenerator,
    /// <summary>The reference implementation's list [conv1, to_rgb1, convs...]: one position off from the generator.</summary>
    Reference,
}

/// <summary>How Adam's learning rate and betas follow from <see cref="AdaptationOptions.LearningRate"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AdamSetup>))]
public enum AdamSetup
{
    /// <summary>StyleGAN-NADA's: lr x 4/5 and betas (0, 0.99^(4/5)) (StyleGAN2's g_reg_ratio).</summary>
    StyleGanNada,
    /// <summary>PyTorch's defaults: lr as given, betas (0.9, 0.999) (HyperDomainNet's offsets).</summary>
    Plain,
}

/// <summary>
/// Every knob of an adaptation run, with the reference implementation's defaults (its README settings for
/// FFHQ where they differ from its argument defaults are the <see cref="ReadmePreset"/>). Saved as JSON
/// in the run folder.
/// </summary>
public sealed record AdaptationOptions
{
    /// <summary>Images per training step.</summary>
    public int BatchSize { get; init; } = 2;
    /// <summary>Base learning rate; Adam runs at this times 4/5 (the reference's g_reg_ratio).</summary>
    public double LearningRate { get; init; } = 0.002;
    /// <summary>W+ entries to train per step (adaptive layer freezing); null or >= the W+ count: all (selection skipped).</summary>
    public int? AutoLayerK { get; init; }
    /// <summary>SGD iterations on W+ that score the entries; 0 turns layer selection off (phase preset instead).</summary>
    public int AutoLayerIters { get; init; } = 1;
    /// <summary>Latents in the layer-selection batch.</summary>
    public int AutoLayerBatch { get; init; } = 8;
    /// <summary>Learning rate of the SGD on W+ during layer selection.</summary>
    public double WSgdLr { get; init; } = 0.01;
    /// <summary>Which layers a chosen W+ entry trains.</summary>
    public WPlusLayerMapping LayerMapping { get; init; } = WPlusLayerMapping.FollowsGenerator;
    /// <summary>Trainable set when layer selection is off or skipped.</summary>
    public TrainablePhase Phase { get; init; } = TrainablePhase.Default;
    /// <summary>Probability of style mixing in a training batch.</summary>
    public double Mixing { get; init; }
    /// <summary>Weight of the directional CLIP loss.</summary>
    public float LambdaDirection { get; init; } = 1f;
    /// <summary>Weight of the global CLIP loss.</summary>
    public float LambdaGlobal { get; init; }
    /// <summary>Weight of the patch-directional loss.</summary>
    public float LambdaPatch { get; init; }
    /// <summary>Weight of the manifold (angle) loss.</summary>
    public float LambdaManifold { get; init; }
    /// <summary>Weight of the texture loss against the style images.</summary>
    public float LambdaTexture { get; init; }
    /// <summary>
    /// Weight of HyperDomainNet's in-domain angle-consistency loss (pairwise CLIP angles of a batch kept as the base
    /// generator has them; full and compact domains alike). Needs a batch of at least 2. It keeps diversity; it does
    /// not move the domain, so it does not count as a loss that trains.
    /// </summary>
    public float LambdaAngle { get; init; }
    /// <summary>Weight of the text direction when style images are also given (1 - this for the image direction).</summary>
    public float TextDirectionWeight { get; init; } = 0.5f;
    /// <summary>Generated source samples for the image-guided direction.</summary>
    public int ImageDirectionSamples { get; init; } = 16;
    /// <summary>Compact domains: whether the to_rgb layers get offsets too (off, as in HyperDomainNet).</summary>
    public bool CompactToRgb { get; init; }
    /// <summary>How Adam is set up from <see cref="LearningRate"/> (StyleGAN-NADA's g_reg scaling, or plain).</summary>
    public AdamSetup Adam { get; init; } = AdamSetup.StyleGanNada;
    /// <summary>Steps between preview grids (and progress reports with images).</summary>
    public int SampleEvery { get; init; } = 50;
    /// <summary>Steps between run checkpoints; one is also written on cancellation and at the end.</summary>
    public int CheckpointEvery { get; init; } = 50;
    /// <summary>Steps between progress reports; losses are read from the device (a host synchronisation) only then.</summary>
    public int ReportEvery { get; init; } = 1;
    /// <summary>Latents in the preview grid.</summary>
    public int PreviewSamples { get; init; } = 4;
    /// <summary>Truncation of the preview samples.</summary>
    public float PreviewTruncation { get; init; } = 0.7f;
    /// <summary>Noise during training: random as the reference, or the stored constant noise.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Generators.NoiseMode>))]
    public Generators.NoiseMode TrainNoise { get; init; } = Generators.NoiseMode.Random;
    /// <summary>Seed of every random draw of the run (each step's draws derive from it and the step index).</summary>
    public int Seed { get; init; } = 2;
    /// <summary>Shorten prompts longer than CLIP's context (word by word, with a warning) instead of failing.</summary>
    public bool TruncatePrompts { get; init; }
    /// <summary>
    /// Compute precision (<c>--precision</c>): null = the device's default (generators float32; CLIP float16 on CUDA,
    /// float32 on the CPU); a value applies to the generators and CLIP alike. Parameters and Adam state stay float32 and
    /// losses are float32 either way (see <see cref="Ops.PrecisionPlan"/>).
    /// </summary>
    public Ops.ComputePrecision? Precision { get; init; }
    /// <summary>Initial loss scale of float16 training (gradients of half activations underflow without it); halved after a step with non-finite gradients, which is skipped.</summary>
    public float Fp16LossScale { get; init; } = 1024f;

    /// <summary>The precision plan of this run on <paramref name="device"/>.</summary>
    public Ops.PrecisionPlan PlanFor(TorchSharp.torch.Device device) => Ops.PrecisionPlan.For(Precision, device);

    /// <summary>The reference README's FFHQ settings: batch 2, k 18, one selection iteration, selection batch 8, no mixing.</summary>
    public static AdaptationOptions ReadmePreset { get; } = new()
    {
        BatchSize = 2,
        AutoLayerK = 18,
        AutoLayerIters = 1,
        AutoLayerBatch = 8,
        Mixing = 0,
        LambdaDirection = 1,
        SampleEvery = 50,
        CheckpointEvery = 150,
    };

    /// <summary>
    /// HyperDomainNet's single-domain text setting (its <c>td_single_ffhq.yaml</c>) for compact domains: batch 4,
    /// plain Adam at lr 0.1 with betas (0.9, 0.999), style mixing 0.9, no layer selection (every convolution's
    /// offsets train; to_rgb has none), directional loss 1, 300 iterations (the request's default); its CLIPs are
    /// ViT-B/32 and ViT-B/16. Its configuration has no in-domain angle term (weight 0 here).
    /// </summary>
    public static AdaptationOptions HyperDomainNetPreset { get; } = new()
    {
        BatchSize = 4,
        LearningRate = 0.1,
        Adam = AdamSetup.Plain,
        AutoLayerIters = 0,
        AutoLayerK = null,
        Phase = TrainablePhase.Default,
        Mixing = 0.9,
        LambdaDirection = 1,
        SampleEvery = 20,
        CheckpointEvery = 50,
    };

    /// <summary>Adam's effective learning rate: lr x 4/5 (StyleGAN-NADA) or lr (plain).</summary>
    [JsonIgnore] public double AdamLearningRate => Adam == AdamSetup.Plain ? LearningRate : LearningRate * GRegRatio;
    /// <summary>Adam's betas: (0, 0.99^(4/5)) (StyleGAN-NADA) or (0.9, 0.999) (plain).</summary>
    [JsonIgnore] public (double Beta1, double Beta2) AdamBetas =>
        Adam == AdamSetup.Plain ? (0.9, 0.999) : (Math.Pow(0, GRegRatio), Math.Pow(0.99, GRegRatio));

    private const double GRegRatio = 4.0 / 5.0;

    /// <summary>Throws a <see cref="RequestValidationException"/> naming every invalid value.</summary>
    public void Validate(int numWs) => Check(numWs).ThrowIfInvalid();

    /// <summary>
    /// Every invalid value, keyed by property name: sizes and counts in range, every number finite, every enum a known
    /// value. <paramref name="numWs"/>: the generator's W+ count when known (k may not exceed it).
    /// </summary>
    public FieldErrors Check(int? numWs = null)
    {
        var e = new FieldErrors();
        void Range(string name, double value, double min, double max, string what)
        {
            if (!double.IsFinite(value) || value < min || value > max)
                e.Add(name, $"{what} must be between {min} and {max} (got {value}).");
        }
        if (BatchSize is < 1 or > 1024) e.Add(nameof(BatchSize), $"Batch size must be between 1 and 1024 (got {BatchSize}).");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0 || LearningRate > 10)
            e.Add(nameof(LearningRate), $"Learning rate must be above 0 and at most 10 (got {LearningRate}).");
        if (AutoLayerK is < 1) e.Add(nameof(AutoLayerK), $"auto-layer k must be at least 1 (got {AutoLayerK}).");
        else if (numWs is { } n && AutoLayerK > n)
            e.Add(nameof(AutoLayerK), $"auto-layer k = {AutoLayerK} is larger than this generator's {n} W+ entries; use at most {n} (or leave it empty for all).");
        if (AutoLayerIters is < 0 or > 1000) e.Add(nameof(AutoLayerIters), $"auto-layer iterations must be between 0 and 1000 (got {AutoLayerIters}).");
        if (AutoLayerBatch is < 1 or > 4096) e.Add(nameof(AutoLayerBatch), $"auto-layer batch must be between 1 and 4096 (got {AutoLayerBatch}).");
        Range(nameof(WSgdLr), WSgdLr, 0, 1000, "The layer-selection learning rate");
        if (!Enum.IsDefined(LayerMapping)) e.Add(nameof(LayerMapping), $"Unknown layer mapping {(int)LayerMapping}; use FollowsGenerator or Reference.");
        if (!Enum.IsDefined(Phase)) e.Add(nameof(Phase), $"Unknown phase {(int)Phase}; use one of {string.Join(", ", Enum.GetNames<TrainablePhase>())}.");
        if (!Enum.IsDefined(TrainNoise)) e.Add(nameof(TrainNoise), $"Unknown training noise {(int)TrainNoise}; use Random or Const.");
        Range(nameof(Mixing), Mixing, 0, 1, "Mixing probability");
        (string Name, float Value)[] weights =
        [
            (nameof(LambdaDirection), LambdaDirection), (nameof(LambdaGlobal), LambdaGlobal), (nameof(LambdaPatch), LambdaPatch),
            (nameof(LambdaManifold), LambdaManifold), (nameof(LambdaTexture), LambdaTexture),
        ];
        foreach (var (name, value) in weights) Range(name, value, 0, 1e6, "Loss weights");
        Range(nameof(LambdaAngle), LambdaAngle, 0, 1e6, "Loss weights");
        if (LambdaAngle > 0 && BatchSize < 2)
            e.Add(nameof(LambdaAngle), $"The in-domain angle loss compares the images of a batch in pairs: use a batch of at least 2 (got {BatchSize}).");
        if (!Enum.IsDefined(Adam)) e.Add(nameof(Adam), $"Unknown Adam setup {(int)Adam}; use StyleGanNada or Plain.");
        if (weights.All(w => w.Value == 0))
            e.Add(nameof(LambdaDirection), "All loss weights are zero: nothing would train. Set at least one of direction, global, patch, manifold, texture.");
        Range(nameof(TextDirectionWeight), TextDirectionWeight, 0, 1, "Text direction weight");
        if (ImageDirectionSamples is < 1 or > 4096) e.Add(nameof(ImageDirectionSamples), $"Image-direction samples must be between 1 and 4096 (got {ImageDirectionSamples}).");
        if (SampleEvery < 1) e.Add(nameof(SampleEvery), $"The preview interval must be at least 1 step (got {SampleEvery}).");
        if (CheckpointEvery < 1) e.Add(nameof(CheckpointEvery), $"The checkpoint interval must be at least 1 step (got {CheckpointEvery}).");
        if (ReportEvery < 1) e.Add(nameof(ReportEvery), $"The report interval must be at least 1 step (got {ReportEvery}).");
        if (PreviewSamples is < 1 or > 64) e.Add(nameof(PreviewSamples), $"Preview samples must be between 1 and 64 (got {PreviewSamples}).");
        Range(nameof(PreviewTruncation), PreviewTruncation, 0, 2, "Preview truncation");
        return e;
    }
}
