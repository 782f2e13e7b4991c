using Nada.Core.Ops;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>The outcome of an inversion. The caller disposes the tensors.</summary>
/// <param name="WPlus">The latent [1, NumWs, WDim] on the generator's device (every row equal in W space).</param>
/// <param name="Image">Its image [1, C, H, W].</param>
/// <param name="StartMse">Pixel MSE between the photo and the starting latent's image.</param>
/// <param name="FinalMse">Pixel MSE between the photo and the result's image.</param>
public sealed record InversionResult(Tensor WPlus, Tensor Image, double StartMse, double FinalMse) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        WPlus.Dispose();
        Image.Dispose();
    }
}

/// <summary>
/// Projects a photo into a generator's W or W+ by optimisation, after NVIDIA's projector: start from the mean
/// W, Adam with ramp-up/ramp-down, Gaussian noise on w that fades out, loss = pixel MSE + CLIP image-feature
/// distance (when CLIP models are given). Noise inputs are the generator's stored constants. Synchronous;
/// cancellation is honoured before every step.
/// </summary>
public sealed class PhotoInverter : IDisposable
{
    private readonly StyleGenerator generator;
    private readonly ClipGuide? guide;

    /// <summary>The settings.</summary>
    public InversionOptions Options { get; }

    /// <param name="generator">The generator (not owned; its parameters are left untouched).</param>
    /// <param name="clip">CLIP models for the perceptual term (not owned); null for pixel MSE only.</param>
    /// <param name="options">Settings; validated here.</param>
    public PhotoInverter(StyleGenerator generator, ClipEnsemble? clip, InversionOptions options)
    {
        Options = options.Validate();
        this.generator = generator;
        guide = clip is null ? null : new ClipGuide(clip, null);
    }

    /// <summary>
    /// Reads a photo (any format <see cref="StyleImageLoader"/> decodes: EXIF orientation, RGBA, grayscale, 16-bit,
    /// huge files decoded downscaled), center-cropped and resized to <paramref name="resolution"/>: [1, 3, R, R] in [-1, 1] on the CPU.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is empty, corrupt or not an image; the message names it.</exception>
    public static Tensor LoadPhoto(string path, int resolution)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"The photo '{path}' is a folder; pass an image file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"The photo '{path}' does not exist.", path);
        try
        {
            return tensor(StyleImageLoader.DecodeToRgb(path, resolution), [1, 3, resolution, resolution]);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The photo '{path}' cannot be used: {e.Message}. Use a PNG, JPEG, WebP, GIF or BMP image.", e);
        }
    }

    /// <summary>The mean W [WDim] and the spread of w (root mean squared distance to it), from seeded z.</summary>
    public (Tensor Mean, double Std) MeanLatent()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = generator.Config;
        var ws = new List<Tensor>();
        for (int start = 0; start < Options.MeanSamples; start += 128)
        {
            var seeds = Enumerable.Range(Options.Seed * 100_003 + start, Math.Min(128, Options.MeanSamples - start)).Select(s => s & int.MaxValue).ToList();
            ws.Add(generator.Mapping(SeedLatents.FromSeeds(seeds, c.ZDim)));        // [B, WDim]
        }
        var all = cat(ws, 0);                                                       // [N, WDim]
        var mean = all.mean([0]);                                                   // [WDim]
        double std = Math.Sqrt((all - mean).pow(2).sum().item<float>() / all.shape[0]);
        if (Options.Start == InversionStart.LatentAvg) mean = generator.LatentAvg.clone();
        return (mean.MoveToOuterDisposeScope(), std);
    }

    /// <summary>Inverts <paramref name="photo"/> [1, 3, R, R] in [-1, 1] (R = the generator's resolution).</summary>
    /// <exception cref="OperationCanceledException">Cancelled before a step.</exception>
    public InversionResult Invert(Tensor photo, Runs.RunReporter reporter)
    {
        var c = generator.Config;
        if (photo.dim() != 4 || photo.shape[0] != 1 || photo.shape[1] != c.ImgChannels || photo.shape[2] != c.ImgResolution || photo.shape[3] != c.ImgResolution)
            throw new ArgumentException($"The photo must be [1, {c.ImgChannels}, {c.ImgResolution}, {c.ImgResolution}], got [{string.Join(", ", photo.shape)}]; load it with PhotoInverter.LoadPhoto.");
        var device = generator.LatentAvg.device;
        using var frozen = new FrozenParameters(generator);
        using var outer = NewDisposeScope();
        var target = photo.to(ScalarType.Float32, device);                          // [1, 3, R, R]
        Tensor[]? targetFeatures = null;
        if (guide is not null && Options.PerceptualWeight > 0)
            using (no_grad()) targetFeatures = guide.EncodeImages(target);
        var (mean, wStd) = MeanLatent();
        int rows = Options.Space == LatentSpace.W ? 1 : c.NumWs;
        var start = mean.to(device).view(1, 1, -1).expand(1, rows, -1).contiguous();   // [1, rows, WDim]
        using var w = new Parameter(start.clone(), requires_grad: true);
        w.DetachFromDisposeScope();
        using var adam = optim.Adam([w], Options.LearningRate, 0.9, 0.999);
        var schedule = new LearningRateSchedule(LearningRateShape.RampUpDown, Options.LearningRate, Options.RampUp, Options.RampDown);
        using var noiseRng = new Generator((ulong)Options.Seed + 1);
        double startMse = Mse(Expand(start), target);
        reporter.Started(0, Options.Steps);
        var scaler = GradientScaler.For(generator.ComputeDtype);

        for (int step = 0; step < Options.Steps; step++)
        {
            reporter.BeforeStep();
            using var scope = NewDisposeScope();
            double t = (double)step / Options.Steps;
            double lr = schedule.RateAt(step, Options.Steps);
            foreach (var group in adam.ParamGroups) group.LearningRate = lr;
            double noiseScale = wStd * Options.InitialNoiseFactor * Math.Pow(Math.Max(0, 1 - t / Options.NoiseRampLength), 2);
            var noise = randn(w.shape, generator: noiseRng).to(device) * noiseScale;    // [1, rows, WDim]
            adam.zero_grad();
            var image = generator.Synthesis(Expand(w + noise), NoiseMode.Const);       // [1, C, R, R]
            var mse = (image - target).pow(2).mean();
            var total = Options.MseWeight * mse;
            Tensor? perceptual = null;
            if (targetFeatures is not null)
            {
                perceptual = guide!.ImageDistance(guide.EncodeImages(image), targetFeatures);
                total = total + Options.PerceptualWeight * perceptual;
            }
            scaler.Scaled(total).backward();
            if (scaler.Unscale([w])) adam.step();                                // float16: skipped when a gradient overflowed

            var losses = new Dictionary<string, double> { ["total"] = total.detach().cpu().item<float>(), ["mse"] = mse.detach().cpu().item<float>() };
            if (perceptual is not null) losses["perceptual"] = perceptual.detach().cpu().item<float>();
            if (!double.IsFinite(losses["total"]))
                throw new Adaptation.AdaptationFailedException($"The inversion loss became {losses["total"]} at step {step + 1}; try a lower learning rate.");
            bool preview = (step + 1) % Options.PreviewEvery == 0 || step + 1 == Options.Steps;
            reporter.Step(step + 1, Options.Steps, new EditProgress(step + 1, Options.Steps, losses, null, lr, null).Values(),
                preview ? ImageEncoder.ToPngs(image)[0] : null);
        }

        using var noGrad = no_grad();
        var wPlus = Expand(w.detach()).contiguous();                                // [1, NumWs, WDim]
        var final = generator.Synthesis(wPlus, NoiseMode.Const);
        double finalMse = (final - target).pow(2).mean().cpu().item<float>();
        if (!double.IsFinite(finalMse) || !double.IsFinite(startMse))
            throw new Adaptation.AdaptationFailedException(
                $"The reconstruction's error became {(double.IsFinite(startMse) ? finalMse : startMse)} (the generator rendered NaN or infinite pixels); nothing was saved. Try a lower learning rate.");
        return new InversionResult(wPlus.MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope(), startMse, finalMse);
    }

    /// <summary>[1, rows, WDim] to [1, NumWs, WDim] (W space repeats its single row).</summary>
    private Tensor Expand(Tensor w) => w.shape[1] == generator.Config.NumWs ? w : w.expand(-1, generator.Config.NumWs, -1);

    private double Mse(Tensor wPlus, Tensor target)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (generator.Synthesis(wPlus, NoiseMode.Const) - target).pow(2).mean().cpu().item<float>();
    }

    /// <inheritdoc/>
    public void Dispose() => guide?.Dispose();
}
