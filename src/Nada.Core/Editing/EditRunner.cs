using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Runs;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>
/// Runs inversions and edits from files to files (the entry point for jobs and the CLI): loads the generator and
/// CLIP models onto <see cref="EngineDevice.Current"/> (the calling device thread's device), runs, and writes into the request's run folder
/// (<see cref="RunLayout"/>): <c>run.json</c>, the step history and previews, and in <c>result/</c> the latent (with
/// its generator's identity), the images and a summary. An edit from a photo runs the inversion as its first phase
/// (results in <c>result/inversion/</c>), its steps counted before the edit's. Synchronous: call it on the thread
/// that owns the job.
/// </summary>
public static class EditRunner
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>Inverts the request's photo; writes result/latent.safetensors, reconstruction.png, strip.png (photo | reconstruction), inversion.json.</summary>
    public static InversionOutput Invert(InversionRequest request, RunContext context)
    {
        EditRules.Check(request).ThrowIfInvalid();
        var layout = new RunLayout(request.OutputDirectory);
        var plan = PrecisionPlan.For(request.Precision, EngineDevice.Current);
        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath).ToDevice(EngineDevice.Current);
        generator.ComputeDtype = plan.Generator.DType();
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));
        using var photo = PhotoInverter.LoadPhoto(request.PhotoPath, generator.Config.ImgResolution);
        using var clip = request.ClipModels.Count == 0 ? null : ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(plan.Clip.DType(), EngineDevice.Current));
        StartRun(layout, request);
        return InvertLoaded(generator, identity, clip, photo, request.Options, layout.ResultDir, request, request.PhotoPath, new RunReporter(layout, context));
    }

    /// <summary>Edits by text from a seed, a latent or a photo; writes result/latent.safetensors, start.png, edited.png, strip.png, edit.json.</summary>
    public static EditOutput Edit(EditRequest request, RunContext context)
    {
        EditRules.Check(request).ThrowIfInvalid();
        var device = EngineDevice.Current;
        var plan = PrecisionPlan.For(request.Precision, device);
        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath).ToDevice(device);
        generator.ComputeDtype = plan.Generator.DType();
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));
        using var clip = ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(plan.Clip.DType(), device));
        var layout = new RunLayout(request.OutputDirectory);
        StartRun(layout, request);
        string resultDir = layout.ResultDir;
        var reporter = new RunReporter(layout, context);
        using var optimizer = new LatentOptimizer(generator, clip, request.Text, request.Options);

        Tensor start;
        Tensor? photo = null;
        if (request.Start.Seed is { } seed)
        {
            start = optimizer.SeedLatent(seed);
        }
        else if (request.Start.LatentPath is { } latentPath)
        {
            var accepted = new List<GeneratorIdentity>();
            if (request.BaseGeneratorPath is { } basePath)
            {
                using var baseGen = GeneratorLoader.LoadGenerator(basePath);
                accepted.Add(GeneratorIdentity.Of(baseGen, Path.GetFileName(basePath)));
            }
            start = LatentFile.LoadFor(latentPath, identity, [.. accepted]).WPlus;
        }
        else
        {
            photo = PhotoInverter.LoadPhoto(request.Start.PhotoPath!, generator.Config.ImgResolution);
            int total = request.Inversion.Steps + request.Options.Steps;
            var inverted = InvertLoaded(generator, identity, clip, photo, request.Inversion, Path.Combine(resultDir, "inversion"),
                request.Inversion, request.Start.PhotoPath!, reporter.ForPhase("inversion", 0, total));
            start = LatentFile.Load(inverted.LatentFile).WPlus;
            reporter = reporter.ForPhase("edit", request.Inversion.Steps, total);
        }

        try
        {
            using var startImage = RenderNoGrad(generator, start, request.Options.Noise);
            using var result = optimizer.Optimize(start, reporter, photo);
            Directory.CreateDirectory(resultDir);
            string latentFile = Path.Combine(resultDir, "latent.safetensors");
            LatentFile.Save(latentFile, result.WPlus, identity, new Dictionary<string, string>
            {
                ["text"] = request.Text,
                ["clip_score_start"] = result.StartScore.ToString("R", CultureInfo.InvariantCulture),
                ["clip_score"] = result.FinalScore.ToString("R", CultureInfo.InvariantCulture),
            });
            string startPng = Path.Combine(resultDir, "start.png");
            string editedPng = Path.Combine(resultDir, "edited.png");
            string strip = Path.Combine(resultDir, "strip.png");
            RunLayout.WriteAtomic(startPng, ImageEncoder.ToPngs(startImage)[0]);
            RunLayout.WriteAtomic(editedPng, ImageEncoder.ToPngs(result.Image)[0]);
            WriteStrip(strip, startImage, result.Image);
            var output = new EditOutput(latentFile, editedPng, strip, result.StartScore, result.FinalScore);
            WriteJson(Path.Combine(resultDir, "edit.json"), new { request, generator = identity, result = output });
            return output;
        }
        finally
        {
            start.Dispose();
            photo?.Dispose();
        }
    }

    private static InversionOutput InvertLoaded(StyleGenerator generator, GeneratorIdentity identity, ClipEnsemble? clip, Tensor photo,
        InversionOptions options, string outDir, object requestForJson, string photoPath, RunReporter reporter)
    {
        using var inverter = new PhotoInverter(generator, clip, options);
        using var result = inverter.Invert(photo, reporter);
        Directory.CreateDirectory(outDir);
        string latentFile = Path.Combine(outDir, "latent.safetensors");
        LatentFile.Save(latentFile, result.WPlus, identity, new Dictionary<string, string>
        {
            ["photo"] = Path.GetFileName(photoPath),
            ["space"] = options.Space.ToString(),
            ["mse_start"] = result.StartMse.ToString("R", CultureInfo.InvariantCulture),
            ["mse"] = result.FinalMse.ToString("R", CultureInfo.InvariantCulture),
        });
        string png = Path.Combine(outDir, "reconstruction.png");
        string strip = Path.Combine(outDir, "strip.png");
        RunLayout.WriteAtomic(png, ImageEncoder.ToPngs(result.Image)[0]);
        WriteStrip(strip, photo, result.Image);
        var output = new InversionOutput(latentFile, png, strip, result.StartMse, result.FinalMse);
        WriteJson(Path.Combine(outDir, "inversion.json"), new { request = requestForJson, generator = identity, result = output });
        return output;
    }

    /// <summary>Images side by side in one PNG (each [1, C, H, W], same size).</summary>
    public static void WriteStrip(string path, params Tensor[] images)
    {
        using var scope = NewDisposeScope();
        var all = cat(images.Select(i => i.detach().to(ScalarType.Float32).cpu()).ToArray(), 0);   // [K, C, H, W]
        RunLayout.WriteAtomic(path, ImageEncoder.GridPng(all, columns: images.Length));
    }

    private static Tensor RenderNoGrad(StyleGenerator generator, Tensor wPlus, NoiseMode noise)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return generator.Synthesis(wPlus.to(ScalarType.Float32, generator.LatentAvg.device), noise).MoveToOuterDisposeScope();
    }

    private static void WriteJson(string path, object value) => RunLayout.WriteAtomic(path, JsonSerializer.Serialize(value, Json));

    /// <summary>A fresh run: the request in run.json, no history or results of an earlier attempt (edits restart from step 0).</summary>
    private static void StartRun(RunLayout layout, object request)
    {
        Directory.CreateDirectory(layout.Root);
        if (Directory.Exists(layout.ResultDir)) Directory.Delete(layout.ResultDir, recursive: true);
        new RunHistory(layout).TruncateAfter(0);
        WriteJson(layout.RunJson, request);
    }
}
