using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Web.Options;

namespace Nada.Web.Engine.Fake;

/// <summary>
/// A quick, deterministic stand-in for the training engine: sleeps a little per step, reports falling losses,
/// draws preview grids, checkpoints its step and writes a domain folder with a placeholder generator file.
/// </summary>
public sealed class FakeAdaptationEngine(IOptions<EngineOptions> options) : IAdaptationEngine
{
    /// <summary>File name of the fake generator in a domain folder.</summary>
    public const string GeneratorFileName = "generator.fake.json";

    private const string CheckpointFileName = "fake-checkpoint.json";
    private static readonly int[] PreviewSeeds = [1, 2, 3, 4];

    /// <summary>Every call made, for tests: the run folder, whether it resumed and the step it started from.</summary>
    public ConcurrentQueue<FakeRunCall> Calls { get; } = new();

    public bool HasCheckpoint(string outputDirectory) => File.Exists(Path.Combine(outputDirectory, CheckpointFileName));

    public AdaptationResult Run(AdaptationRequest request, IAdaptationProgress progress, CancellationToken ct, bool resume)
    {
        if (string.IsNullOrWhiteSpace(request.TargetText) && request.StyleImagePaths.Count == 0)
            throw new ArgumentException("A target text or at least one style image is needed.", nameof(request));
        Directory.CreateDirectory(request.OutputDirectory);
        var checkpoint = Path.Combine(request.OutputDirectory, CheckpointFileName);
        var start = resume && File.Exists(checkpoint) ? JsonSerializer.Deserialize<FakeCheckpoint>(File.ReadAllText(checkpoint))!.Step : 0;
        Calls.Enqueue(new FakeRunCall(request.OutputDirectory, resume, start, request.Options));

        if (request.Options != new AdaptationOptions())
            progress.Warn("The fake engine ignores the advanced options; they are kept with the job for the real engine.");
        var every = Math.Max(1, options.Value.FakePreviewEvery);
        var hue = FakeImages.HueOf(request.TargetText + string.Join("|", request.StyleImagePaths.Select(Path.GetFileName)));
        for (var step = start + 1; step <= request.Iterations; step++)
        {
            // One "step": wait, but wake at once when cancelled.
            if (ct.WaitHandle.WaitOne(options.Value.FakeStepMilliseconds)) ct.ThrowIfCancellationRequested();
            ct.ThrowIfCancellationRequested();
            if (step == 2 && options.Value.FakeFailText is { Length: > 0 } fail && request.TargetText == fail)
                throw new InvalidDataException($"The fake engine was told to fail on the target text '{fail}'.");
            var directional = 1.0 / (1.0 + 0.1 * step);
            var losses = new Dictionary<string, double> { ["total"] = directional * 1.1, ["directional"] = directional };
            byte[]? preview = null;
            if (step % every == 0 || step == request.Iterations)
            {
                preview = FakeImages.GridPng(PreviewSeeds, hue, (float)step / request.Iterations);
                File.WriteAllText(checkpoint, JsonSerializer.Serialize(new FakeCheckpoint(step)));
            }
            progress.Report(new AdaptationProgress(step, request.Iterations, losses, null, preview));
        }

        var domainDir = Path.Combine(request.OutputDirectory, "domain");
        Directory.CreateDirectory(domainDir);
        var generator = Path.Combine(domainDir, GeneratorFileName);
        File.WriteAllText(generator, JsonSerializer.Serialize(new FakeGenerator("fake", request.SourceText, request.TargetText, hue)));
        var previewFile = Path.Combine(domainDir, "preview.png");
        File.WriteAllBytes(previewFile, FakeImages.GridPng(PreviewSeeds, hue, 1f));
        return new AdaptationResult(domainDir, generator, previewFile);
    }

    private sealed record FakeCheckpoint(int Step);
}

/// <summary>The placeholder generator file a fake run writes.</summary>
public sealed record FakeGenerator(string Kind, string SourceText, string TargetText, float TargetHue);

/// <summary>One call of <see cref="FakeAdaptationEngine.Run"/>.</summary>
public sealed record FakeRunCall(string OutputDirectory, bool Resume, int StartStep, AdaptationOptions Options);
