using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Ops;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>
/// Runs inversions and edits from files to files (the entry point for jobs and the CLI): loads the generator and
/// CLIP models onto <see cref="EngineDevice.Default"/>, runs, and writes the latent (with its generator's
/// identity), the images and the request as JSON. Synchronous: call it on the thread that owns the job.
/// </summary>
public static class EditRunner
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>Inverts the request's photo; writes latent.safetensors, reconstruction.png, strip.png (photo | reconstruction), inversion.json.</summary>
    public static InversionOutput Invert(InversionRequest request, IEditProgress progress, CancellationToken ct)
    {
        request.Options.Validate();
        var plan = PrecisionPlan.For(request.Precision, EngineDevice.Default);
        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath).ToDevice(EngineDevice.Default);
        generator.ComputeDtype = plan.Generator.DType();
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));
        using var photo = PhotoInverter.LoadPhoto(request.PhotoPath, generator.Config.ImgResolution);
        using var clip = request.ClipModels.Count == 0 ? null : ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(plan.Clip.DType(), EngineDevice.Default));
        Directory.CreateDirectory(request.OutputDirectory);
        return InvertLoaded(generator, identity, clip, photo, request.Options, request.OutputDirectory, request, request.PhotoPath, progress, ct);
    }

    /// <summary>Edits by text from a seed, a latent or a photo; writes latent.safetensors, start.png, edited.png, strip.png, edit.json.</summary>
    public static EditOutput Edit(EditRequest request, IEditProgress progress, CancellationToken ct)
    {
        request.Start.Validate();
        request.Options.Validate();
        if (string.IsNullOrWhiteSpace(request.Text))
            throw new ArgumentException("The edit text is empty; describe the image you want, e.g. \"a smiling face\".");
        if (request.ClipModels.Count == 0) throw new ArgumentException("An edit needs at least one CLIP model.");
        var device = EngineDevice.Default;
        var plan = PrecisionPlan.For(request.Precision, device);
        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath).ToDevice(device);
        generator.ComputeDtype = plan.Generator.DType();
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));
        using var clip = ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(plan.Clip.DType(), device));
        Directory.CreateDirectory(request.OutputDirectory);
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
            var inverted = InvertLoaded(generator, identity, clip, photo, request.Inversion, Path.Combine(request.OutputDirectory, "inversion"),
                request.Inversion, request.Start.PhotoPath!, NoEditProgress.Instance, ct);
            start = LatentFile.Load(inverted.LatentFile).WPlus;
        }

        try
        {
            using var startImage = RenderNoGrad(generator, start, request.Options.Noise);
            using var result = optimizer.Optimize(start, progress, ct, photo);
            string latentFile = Path.Combine(request.OutputDirectory, "latent.safetensors");
            LatentFile.Save(latentFile, result.WPlus, identity, new Dictionary<string, string>
            {
                ["text"] = request.Text,
                ["clip_score_start"] = result.StartScore.ToString("R", CultureInfo.InvariantCulture),
                ["clip_score"] = result.FinalScore.ToString("R", CultureInfo.InvariantCulture),
            });
            string startPng = Path.Combine(request.OutputDirectory, "start.png");
            string editedPng = Path.Combine(request.OutputDirectory, "edited.png");
            string strip = Path.Combine(request.OutputDirectory, "strip.png");
            File.WriteAllBytes(startPng, ImageEncoder.ToPngs(startImage)[0]);
            File.WriteAllBytes(editedPng, ImageEncoder.ToPngs(result.Image)[0]);
            WriteStrip(strip, startImage, result.Image);
            var output = new EditOutput(latentFile, editedPng, strip, result.StartScore, result.FinalScore);
            WriteJson(Path.Combine(request.OutputDirectory, "edit.json"), new { request, generator = identity, result = output });
            return output;
        }
        finally
        {
            start.Dispose();
            photo?.Dispose();
        }
    }

    private static InversionOutput InvertLoaded(StyleGenerator generator, GeneratorIdentity identity, ClipEnsemble? clip, Tensor photo,
        InversionOptions options, string outDir, object requestForJson, string photoPath, IEditProgress progress, CancellationToken ct)
    {
        Directory.CreateDirectory(outDir);
        using var inverter = new PhotoInverter(generator, clip, options);
        using var result = inverter.Invert(photo, progress, ct);
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
        File.WriteAllBytes(png, ImageEncoder.ToPngs(result.Image)[0]);
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
        File.WriteAllBytes(path, ImageEncoder.GridPng(all, columns: images.Length));
    }

    private static Tensor RenderNoGrad(StyleGenerator generator, Tensor wPlus, NoiseMode noise)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return generator.Synthesis(wPlus.to(ScalarType.Float32, generator.LatentAvg.device), noise).MoveToOuterDisposeScope();
    }

    private static void WriteJson(string path, object value)
    {
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(value, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
