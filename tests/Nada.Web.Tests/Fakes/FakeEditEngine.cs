using System.Text.Json;
using Microsoft.Extensions.Options;
using Nada.Core.Editing;
using Nada.Core.Runs;
using Nada.Core.Service;

namespace Nada.Web.Tests.Fakes;

/// <summary>
/// A quick stand-in for the editing engine in the web tests: sleeps a little per step, reports a rising score and
/// face pictures through the engine's <see cref="RunReporter"/>, and writes its results where the real engine does
/// (<c>result/</c>), with a placeholder latent file (JSON: the seed and the text's hue).
/// </summary>
public sealed class FakeEditEngine(IOptions<FakeEngineOptions> options) : IEditEngine
{
    /// <inheritdoc />
    public EditOutput Edit(EditRequest request, RunContext context)
    {
        EditRules.Check(request).ThrowIfInvalid();
        var layout = new RunLayout(request.OutputDirectory);
        var reporter = new RunReporter(layout, context);
        var seed = request.Start.Seed ?? FakeLatent.Read(request.Start.LatentPath)?.Seed ?? 7;
        var hue = FakeImages.HueOf(request.Text);
        int offset = 0, total = request.Options.Steps;
        if (request.Start.PhotoPath is not null)
        {
            total += request.Inversion.Steps;
            Run(request.Inversion.Steps, request.Options.PreviewEvery, s => FakeImages.SamplePng(seed, 0, 0), ("mse", false),
                reporter.ForPhase("inversion", 0, total));
            offset = request.Inversion.Steps;
        }
        Run(request.Options.Steps, request.Options.PreviewEvery, s => FakeImages.SamplePng(seed, hue, s), ("clip", true),
            offset == 0 ? reporter : reporter.ForPhase("edit", offset, total));
        Write(layout.ResultDir, seed, hue, "edited.png", out var latent, out var image, out var strip);
        File.WriteAllText(Path.Combine(layout.ResultDir, "edit.json"), JsonSerializer.Serialize(new { result = new { StartScore = 0.1, FinalScore = 0.3 } }));
        return new EditOutput(latent, image, strip, 0.1, 0.3);
    }

    /// <inheritdoc />
    public InversionOutput Invert(InversionRequest request, RunContext context)
    {
        EditRules.Check(request).ThrowIfInvalid();
        var layout = new RunLayout(request.OutputDirectory);
        var seed = (int)(new FileInfo(request.PhotoPath).Length % 1000);
        Run(request.Options.Steps, request.Options.PreviewEvery, s => FakeImages.SamplePng(seed, 0, 0), ("mse", false), new RunReporter(layout, context));
        Write(layout.ResultDir, seed, 0, "reconstruction.png", out var latent, out var image, out var strip);
        File.WriteAllText(Path.Combine(layout.ResultDir, "inversion.json"), JsonSerializer.Serialize(new { result = new { StartMse = 0.5, FinalMse = 0.05 } }));
        return new InversionOutput(latent, image, strip, 0.5, 0.05);
    }

    private void Run(int steps, int every, Func<float, byte[]> draw, (string Name, bool WithScore) loss, RunReporter reporter)
    {
        every = Math.Max(1, every);
        reporter.Started(0, steps);
        for (var step = 1; step <= steps; step++)
        {
            reporter.BeforeStep();
            if (reporter.Cancellation.WaitHandle.WaitOne(options.Value.FakeStepMilliseconds)) reporter.Cancellation.ThrowIfCancellationRequested();
            var score = 0.1 + 0.2 * step / steps;
            var value = 1 - score;
            var preview = step % every == 0 || step == steps ? draw((float)step / steps) : null;
            var progress = new EditProgress(step, steps, new Dictionary<string, double> { ["total"] = value, [loss.Name] = value },
                loss.WithScore ? score : null, 0.1, null);
            reporter.Step(step, steps, progress.Values(), preview);
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
    public Task<byte[]> RenderPngAsync(string generatorPath, string latentPath, string? baseGeneratorPath = null, CancellationToken ct = default)
    {
        var latent = FakeLatent.Read(latentPath) ?? throw new LatentMismatchException($"'{latentPath}' is not a latent of the fake engine.");
        return Task.FromResult(FakeImages.SamplePng(latent.Seed, HueOf(generatorPath), 1));
    }

    /// <inheritdoc />
    public Task<byte[]> RenderMixPngAsync(string baseGeneratorPath, IReadOnlyList<Nada.Core.Adaptation.Compact.DomainWeight> domains, string latentPath, CancellationToken ct = default) =>
        RenderPngAsync(baseGeneratorPath, latentPath, null, ct);

    /// <inheritdoc />
    public Task<byte[]> BlendPngAsync(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha, CancellationToken ct = default)
    {
        var latent = FakeLatent.Read(latentPath) ?? throw new LatentMismatchException($"'{latentPath}' is not a latent of the fake engine.");
        return Task.FromResult(FakeImages.SamplePng(latent.Seed, HueOf(domainPaths[0]), alpha));
    }

    private static float HueOf(string generatorPath)
    {
        try { return JsonSerializer.Deserialize<FakeGenerator>(File.ReadAllText(generatorPath))?.TargetHue ?? 0; }
        catch (Exception e) when (e is JsonException or IOException) { return 0; }
    }
}
