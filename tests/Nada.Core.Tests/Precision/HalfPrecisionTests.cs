using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Ops;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Precision;

/// <summary>
/// bfloat16 and float16 against float32 on the CPU, with the tiny parity networks (real weights): images, CLIP
/// features, the directional loss, its gradient, and a 50-step training run.
/// </summary>
/// <remarks>
/// The bounds come from the formats, not from these runs. u is the unit roundoff (2^-8 for bfloat16's 8 significant
/// bits, 2^-11 for float16's 11). Each layer rounds about twice (its cast input and weights, its output); independent
/// roundings add in quadrature (the usual statistical model of rounding error, Higham's sqrt(n) u), so a quantity
/// computed through L layers is held to 2 u sqrt(L) relative error. L counts the generator's modulated convolutions
/// (Lg) and the tiny ViT's sub-layers (Lc); a gradient passes every layer twice (forward and backward), so 2 (Lg + Lc).
/// The directional loss is a cosine of the difference e of two normalised features, so the features' error is divided
/// by |e| (measured in float32). The worst-case model (errors adding linearly, 2 L u) was tried first: for the bfloat16
/// loss it allowed more than the loss's whole range, i.e. it asserted nothing.
/// </remarks>
public sealed class HalfPrecisionTests(ITestOutputHelper log)
{
    private static double UnitRoundoff(ComputePrecision p) => p == ComputePrecision.Bf16 ? Math.Pow(2, -8) : Math.Pow(2, -11);

    /// <summary>2 u sqrt(L): the relative error allowed after <paramref name="layers"/> layers (see the class remarks).</summary>
    private static double Bound(ComputePrecision p, int layers) => 2 * UnitRoundoff(p) * Math.Sqrt(layers);

    /// <summary>The tiny StyleGAN2 (default) or one of NVIDIA's tiny StyleGAN3 pickles ("sg3t.pkl", "sg3r.pkl").</summary>
    private static StyleGenerator LoadGenerator(string? nvlabsFile = null) => GeneratorLoader.LoadGenerator(
        nvlabsFile is null ? ParityFiles.File("stylegan2_rosinality.pt") : ParityFiles.File("nvlabs", nvlabsFile));

    /// <summary>
    /// Roundings a pixel's value goes through, in units of "an SG2 layer" (about two: its cast input and weights, its
    /// output). An SG3 layer rounds about four times (input and convolution, then the filtered leaky ReLU's upsampling and
    /// downsampling filters), so it counts double.
    /// </summary>
    private static int RoundingLayers(StyleGenerator g) => g is StyleGan3Generator ? 2 * GeneratorLayers(g) : GeneratorLayers(g);

    private static ClipModel LoadClip(ComputePrecision p) =>
        ClipLoader.Load(ParityFiles.File("clip_openai_tiny_vit.pt"), new ClipLoadOptions(p.DType()));

    /// <summary>Modulated convolutions a pixel of the output passes through: every styled conv and every ToRGB.</summary>
    private static int GeneratorLayers(StyleGenerator g) => g.ModulatedLayers.Count;

    /// <summary>Sub-layers of the tiny ViT: patch conv, attention and MLP per block, projection.</summary>
    private static int ClipLayers(ClipModel m) => 2 * m.Config.VisionLayers[0] + 2;

    private static double RelRms(Tensor approx, Tensor exact) =>
        (approx.to(ScalarType.Float32) - exact).square().mean().sqrt().item<float>() / exact.square().mean().sqrt().item<float>();

    [Theory]
    [InlineData(ComputePrecision.Bf16)]
    [InlineData(ComputePrecision.Fp16)]
    public void ImagesStayWithinTheFormatsBound(ComputePrecision precision)
    {
        using var scope = NewDisposeScope();
        using var g = LoadGenerator();
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds([0, 1, 2, 3], g.Config.ZDim);
        var exact = g.Generate(z, 0.7f);                                           // [4, 3, 64, 64]
        g.ComputeDtype = precision.DType();
        var approx = g.Generate(z, 0.7f);
        Assert.Equal(ScalarType.Float32, approx.dtype);                            // images leave the generator in float32
        double rel = RelRms(approx, exact);
        double maxAbs = (approx - exact).abs().max().item<float>();
        double bound = Bound(precision, GeneratorLayers(g));
        log.WriteLine($"{precision.Name()} images: relative RMS error {rel:E3} (bound {bound:E3}), max abs {maxAbs:E3}, image RMS {exact.square().mean().sqrt().item<float>():F3}");
        Assert.True(rel <= bound, $"{precision.Name()} image relative RMS error {rel:E3} exceeds 2 u sqrt(L) = {bound:E3}");
        Assert.True(rel > 0, "the half-precision run rendered bit-identical images: it did not compute in half");
    }

    [Theory]
    [InlineData(ComputePrecision.Bf16)]
    [InlineData(ComputePrecision.Fp16)]
    public void ClipFeaturesStayWithinTheFormatsBound(ComputePrecision precision)
    {
        using var scope = NewDisposeScope();
        using var full = LoadClip(ComputePrecision.Fp32);
        using var half = LoadClip(precision);
        using var noGrad = no_grad();
        using var gen = new Generator(5);
        var images = rand([4, 3, 64, 64], generator: gen) * 2 - 1;
        var pre = ClipPreprocessor.For(full);
        var exact = full.EncodeImage(pre.Forward(images));                          // [4, D]
        var approx = half.EncodeImage(pre.Forward(images));
        Assert.Equal(ScalarType.Float32, approx.dtype);
        double rel = ((approx - exact).norm(1) / exact.norm(1)).max().item<float>();
        double bound = Bound(precision, ClipLayers(full));
        log.WriteLine($"{precision.Name()} CLIP image features: max relative L2 error {rel:E3} (bound {bound:E3})");
        Assert.True(rel <= bound, $"{precision.Name()} CLIP feature error {rel:E3} exceeds 2 u sqrt(L) = {bound:E3}");
        Assert.True(rel > 0, "the half-precision CLIP gave bit-identical features: it did not compute in half");
    }

    [Theory]
    [InlineData(ComputePrecision.Bf16, null)]
    [InlineData(ComputePrecision.Fp16, null)]
    [InlineData(ComputePrecision.Bf16, "sg3t.pkl")]
    [InlineData(ComputePrecision.Fp16, "sg3t.pkl")]
    [InlineData(ComputePrecision.Bf16, "sg3r.pkl")]
    [InlineData(ComputePrecision.Fp16, "sg3r.pkl")]
    public void DirectionalLossAndGradientStayWithinTheFormatsBound(ComputePrecision precision, string? nvlabsFile)
    {
        using var scope = NewDisposeScope();
        var (loss32, grad32, edit) = LossAndGradient(ComputePrecision.Fp32, nvlabsFile);
        var (lossH, gradH, _) = LossAndGradient(precision, nvlabsFile);
        using var g = LoadGenerator(nvlabsFile);
        using var clip = LoadClip(ComputePrecision.Fp32);
        int layers = RoundingLayers(g) + ClipLayers(clip);
        double lossBound = Bound(precision, layers) / edit, gradBound = Bound(precision, 2 * layers) / edit;
        double lossErr = Math.Abs(lossH - loss32);
        double gradRel = ((gradH - grad32).norm() / grad32.norm()).item<float>();
        double cos = nn.functional.cosine_similarity(gradH.unsqueeze(0), grad32.unsqueeze(0), 1).item<float>();
        log.WriteLine($"{nvlabsFile ?? "sg2"} {precision.Name()}: loss {lossH:F6} vs {loss32:F6} (abs error {lossErr:E3}, bound {lossBound:E3}; |e| = {edit:F4}); " +
                      $"gradient relative L2 error {gradRel:E3} (bound {gradBound:E3}), cosine {cos:F6}");
        Assert.True(lossBound < 1, "the loss bound must say something (the loss lies in [0, 2])");
        Assert.True(lossErr <= lossBound, $"{precision.Name()} loss error {lossErr:E3} exceeds {lossBound:E3}");
        Assert.True(gradRel <= gradBound, $"{precision.Name()} gradient relative error {gradRel:E3} exceeds {gradBound:E3}");
    }

    /// <summary>StyleGAN3 (NVIDIA's tiny config-T and config-R pickles): images within 2 u sqrt(L), L = <see cref="RoundingLayers"/>.</summary>
    [Theory]
    [InlineData("sg3t.pkl", ComputePrecision.Bf16)]
    [InlineData("sg3t.pkl", ComputePrecision.Fp16)]
    [InlineData("sg3r.pkl", ComputePrecision.Bf16)]
    [InlineData("sg3r.pkl", ComputePrecision.Fp16)]
    public void StyleGan3ImagesStayWithinTheFormatsBound(string file, ComputePrecision precision)
    {
        using var scope = NewDisposeScope();
        using var g = LoadGenerator(file);
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds([0, 1, 2, 3], g.Config.ZDim);
        var exact = g.Generate(z, 0.7f);
        g.ComputeDtype = precision.DType();
        var approx = g.Generate(z, 0.7f);
        Assert.Equal(ScalarType.Float32, approx.dtype);
        double rel = RelRms(approx, exact), bound = Bound(precision, RoundingLayers(g));
        log.WriteLine($"{file} {precision.Name()}: image relative RMS error {rel:E3} (bound {bound:E3}, L = {RoundingLayers(g)})");
        Assert.True(rel > 0, "the half-precision run rendered bit-identical images: it did not compute in half");
        Assert.True(rel <= bound, $"{file} {precision.Name()} image relative RMS error {rel:E3} exceeds 2 u sqrt(L) = {bound:E3}");
    }

    /// <summary>Adds seeded noise of <paramref name="relative"/> times each tensor's mean magnitude to every synthesis convolution.</summary>
    private static void Perturb(StyleGenerator g, float relative)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var gen = new Generator(11);
        string prefix = g is StyleGan3Generator ? "synthesis.L" : "convs.";   // SG3's layers L0_..., SG2's convs.N
        foreach (var (name, param) in g.named_parameters())
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal) && param.numel() > 1)
                param.add_(randn(param.shape, generator: gen) * relative * param.abs().mean());
    }

    /// <summary>
    /// The directional loss of a trainable copy whose convolutions were moved (so the edit direction is well defined)
    /// and the float32 gradient of every trainable parameter, flattened; with the generators and CLIP in <paramref name="p"/>.
    /// Also |e|, the mean length of the edit vector normalise(E(trainable)) - normalise(E(frozen)) in this run.
    /// </summary>
    private static (double Loss, Tensor Gradient, double Edit) LossAndGradient(ComputePrecision p, string? nvlabsFile = null)
    {
        using var scope = NewDisposeScope();
        using var frozen = LoadGenerator(nvlabsFile);
        using var trainable = frozen.Clone();
        Perturb(trainable, 0.5f);
        foreach (var param in frozen.parameters()) param.requires_grad_(false);
        frozen.ComputeDtype = p.DType();
        trainable.ComputeDtype = p.DType();
        using var ensemble = new ClipEnsemble([(LoadClip(p), 1f)]);
        using var losses = new ClipLossSet(ensemble, new ClipLossWeights(Directional: 1f), "photo", "sketch");
        var z = SeedLatents.FromSeeds([3, 4], frozen.Config.ZDim);
        Tensor wPlus;
        using (no_grad()) wPlus = frozen.MapToWPlus(z);
        Tensor frozenImages;
        using (no_grad()) frozenImages = frozen.Synthesis(wPlus);
        var trainableImages = trainable.Synthesis(wPlus);
        var result = losses.Forward(frozenImages, trainableImages);
        Assert.Equal(ScalarType.Float32, result.Total.dtype);                       // losses in float32
        double scale = p == ComputePrecision.Fp16 ? 1024 : 1;                        // as the trainer scales float16 losses
        (result.Total * scale).backward();
        var withGrad = trainable.parameters().Where(q => q.grad is not null).ToList();
        Assert.All(withGrad, q => Assert.Equal(ScalarType.Float32, q.grad!.dtype)); // gradients of the float32 master weights
        var grads = withGrad.Select(q => (q.grad! / scale).flatten()).ToList();
        double edit;
        using (no_grad())
        {
            var m = ensemble.Members[0];
            var ff = m.Model.EncodeImage(m.Preprocessor.Forward(frozenImages));
            var ft = m.Model.EncodeImage(m.Preprocessor.Forward(trainableImages.detach()));
            edit = (ft / ft.norm(1, true) - ff / ff.norm(1, true)).norm(1).mean().item<float>();
        }
        return (result.Total.item<float>(), cat(grads, 0).MoveToOuterDisposeScope(), edit);
    }

    [Fact]
    public void FiftyStepRunsTrackTheFloat32Run()
    {
        var curves = new Dictionary<ComputePrecision, double[]>();
        var skipped = new Dictionary<ComputePrecision, int>();
        foreach (var p in Precisions.All)
            (curves[p], skipped[p]) = Run(p, 50);
        var reference = curves[ComputePrecision.Fp32];
        double drop32 = reference.Take(10).Average() - reference.TakeLast(10).Average();
        log.WriteLine("step  fp32      bf16      fp16");
        for (int i = 0; i < reference.Length; i += 5)
            log.WriteLine($"{i + 1,4}  {reference[i]:F5}  {curves[ComputePrecision.Bf16][i]:F5}  {curves[ComputePrecision.Fp16][i]:F5}");
        // The float32 run must learn, or "tracking" it would mean nothing.
        Assert.True(drop32 > 0.1, $"the float32 run's directional loss fell by only {drop32:F4} over 50 steps");
        foreach (var p in new[] { ComputePrecision.Bf16, ComputePrecision.Fp16 })
        {
            var curve = curves[p];
            double drop = curve.Take(10).Average() - curve.TakeLast(10).Average();
            log.WriteLine($"{p.Name()}: loss drop (first 10 steps' mean - last 10's) {drop:F4} vs fp32 {drop32:F4}; skipped updates {skipped[p]}");
            Assert.True(drop >= 0.5 * drop32, $"{p.Name()} run's loss fell by {drop:F4}, less than half of float32's {drop32:F4}");
            Assert.True(skipped[p] <= 2, $"{p.Name()} skipped {skipped[p]} of 50 updates");
            // Adam with beta1 = 0 makes single steps jumpy, so the curves are compared per window of 10 steps: the half run's
            // mean must lie within the float32 run's own step-to-step spread (its standard deviation) in that window.
            for (int w = 0; w < curve.Length / 10; w++)
            {
                var a = curve.Skip(10 * w).Take(10).ToArray();
                var b = reference.Skip(10 * w).Take(10).ToArray();
                double gap = Math.Abs(a.Average() - b.Average());
                double spread = Math.Sqrt(b.Select(x => (x - b.Average()) * (x - b.Average())).Sum() / (b.Length - 1));
                log.WriteLine($"  steps {10 * w + 1}-{10 * w + 10}: mean {a.Average():F4} vs fp32 {b.Average():F4} (gap {gap:F4}, fp32 spread {spread:F4})");
                Assert.True(gap <= spread, $"{p.Name()} steps {10 * w + 1}-{10 * w + 10}: mean loss {a.Average():F4} is {gap:F4} from float32's {b.Average():F4}, more than float32's own spread {spread:F4}");
            }
        }
    }

    /// <summary>
    /// Directional loss of every step of a short run, and the updates skipped: one fixed batch of four latents (so the
    /// curve shows learning rather than the draw of each step), no layer selection, constant noise, learning rate 0.01,
    /// from a slightly moved trainable copy (at identical images the first step's edit direction is a rounding artefact
    /// whose size depends on the precision, see <see cref="ClipLossSet.IdenticalImagesShift"/>; that is not what is compared here).
    /// </summary>
    private static (double[] Losses, int Skipped) Run(ComputePrecision p, int steps)
    {
        using var frozen = LoadGenerator();
        using var trainable = frozen.Clone();
        Perturb(trainable, 0.1f);
        var options = new AdaptationOptions { AutoLayerIters = 0, TrainNoise = NoiseMode.Const, Precision = p, LearningRate = 0.01 };
        var ensemble = new ClipEnsemble([(LoadClip(p), 1f)]);
        var losses = new ClipLossSet(ensemble, new ClipLossWeights(Directional: 1f), "photo", "sketch");
        using var loss = new ClipAdaptationLoss(ensemble, losses, "sketch");
        using var trainer = new NadaTrainer(frozen, trainable, loss, options);
        using var z = SeedLatents.FromSeeds([10, 11, 12, 13], frozen.Config.ZDim);
        var curve = new double[steps];
        int skipped = 0;
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var r = trainer.Step(z, null, -1, null);
            curve[s] = r.Total.item<float>();
            if (r.UpdateSkipped) skipped++;
        }
        return (curve, skipped);
    }
}
