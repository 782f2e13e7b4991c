using System.Text.Json;
using Microsoft.Extensions.Options;
using Nada.Core.Editing;
using Nada.Web.Options;

namespace Nada.Web.Engine.Fake;

/// <summary>
/// A quick stand-in for the editing engine (UI tests, demos without models): sleeps a little per step, reports a
/// rising score and face pictures, and writes a placeholder latent file (JSON: the seed and the text's hue).
/// </summary>
public sealed class FakeEditEngine(IOptions<EngineOptions> options) : IEditEngine
{
    /// <inheritdoc />
    public EditOutput Edit(EditRequest request, IEditProgress progress, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Text))
            throw new ArgumentException("The edit text is empty; describe the image you want, e.g. \"a smiling face\".");
        var seed = request.Start.Seed ?? FakeLatent.Read(request.Start.LatentPath)?.Seed ?? 7;
        var hue = FakeImages.HueOf(request.Text);
        var steps = request.Options.Steps;
        Run(steps, request.Options.PreviewEvery, s => FakeImages.SamplePng(seed, hue, s), score => ("clip", 1 - score), progress, ct, withScore: true);
        Write(request.OutputDirectory, seed, hue, "edited.png", out var latent, out var image, out var strip);
        return new EditOutput(latent, image, strip, 0.1, 0.3);
    }

    /// <inheritdoc />
    public InversionOutput Invert(InversionRequest request, IEditProgress progress, CancellationToken ct)
    {
        var seed = (int)(new FileInfo(request.PhotoPath).Length % 1000);
        Run(request.Options.Steps, request.Options.PreviewEvery, s => FakeImages.SamplePng(seed, 0, 0), score => ("mse", 1 - score), progress, ct, withScore: false);
        Write(request.OutputDirectory, seed, 0, "reconstruction.png", out var latent, out var image, out var strip);
        return new InversionOutput(latent, image, strip, 0.5, 0.05);
    }

    private void Run(int steps, int every, Func<float, byte[]> draw, Func<double, (string, double)> loss, IEditProgress progress, CancellationToken ct, bool withScore)
    {
        every = Math.Max(1, every);
        for (var step = 1; step <= steps; step++)
        {
            if (ct.WaitHandle.WaitOne(options.Value.FakeStepMilliseconds)) ct.ThrowIfCancellationRequested();
            var score = 0.1 + 0.2 * step / steps;
            var (name, value) = loss(score);
            var preview = step % every == 0 || step == steps ? draw((float)step / steps) : null;
            progress.Report(new EditProgress(step, steps, new Dictionary<string, double> { ["total"] = value, [name] = value },
                withScore ? score : null, 0.1, preview));
        }
    }

    private static void Write(string dir, int seed, float hue, string imageName, out string latent, out string image, out string strip)
    {
        Directory.CreateDirectory(dir);
        latent = Path.Combine(dir, "latent.safetensors");
        File.WriteAllText(latent, JsonSerializer.Serialize(new FakeLatent(seed, hue)));
        image = Path.Combine(dir, imageName);
        File.WriteAllBytes(image, FakeImages.SamplePng(seed, hue, 1));
        strip = Path.Combine(dir, "strip.png");
        File.WriteAllBytes(strip, FakeImages.GridPng([seed], hue, 1));
    }
}

/// <summary>The placeholder latent a fake edit writes.</summary>
public sealed record FakeLatent(int Seed, float Hue)
{
    /// <summary>Reads one, or null when the file is not a fake latent.</summary>
    public static FakeLatent? Read(string? path)
    {
        if (path is null || !File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<FakeLatent>(File.ReadAllText(path)); }
        catch (JsonException) { return null; }
    }
}

/// <summary>Renders fake latents: a face whose colour moves toward the domain's with alpha.</summary>
public sealed class FakeLatentRenderer : ILatentRenderer
{
    /// <inheritdoc />
    public byte[] RenderPng(string generatorPath, string latentPath, string? baseGeneratorPath = null)
    {
        var latent = FakeLatent.Read(latentPath) ?? throw new LatentMismatchException($"'{latentPath}' is not a latent of the fake engine.");
        return FakeImages.SamplePng(latent.Seed, HueOf(generatorPath), 1);
    }

    /// <inheritdoc />
    public byte[] BlendPng(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha)
    {
        var latent = FakeLatent.Read(latentPath) ?? throw new LatentMismatchException($"'{latentPath}' is not a latent of the fake engine.");
        return FakeImages.SamplePng(latent.Seed, HueOf(domainPaths[0]), alpha);
    }

    private static float HueOf(string generatorPath)
    {
        try { return JsonSerializer.Deserialize<FakeGenerator>(File.ReadAllText(generatorPath))?.TargetHue ?? 0; }
        catch (Exception e) when (e is JsonException or IOException) { return 0; }
    }
}
