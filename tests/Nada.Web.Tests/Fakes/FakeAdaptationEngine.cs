using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Nada.Core.Adaptation;
using Nada.Core.Runs;
using Nada.Core.Service;

namespace Nada.Web.Tests.Fakes;

/// <summary>Settings of the fake engines (section "Engine" of the test app's configuration).</summary>
public sealed class FakeEngineOptions
{
    /// <summary>Milliseconds per step.</summary>
    public int FakeStepMilliseconds { get; set; } = 100;

    /// <summary>A preview grid and a checkpoint every this many steps.</summary>
    public int FakePreviewEvery { get; set; } = 5;

    /// <summary>A target text that makes a run fail at step 2 (to try the failure path); null for none.</summary>
    public string? FakeFailText { get; set; }
}

/// <summary>
/// A quick, deterministic stand-in for the training engine in the web tests: sleeps a little per step and reports
/// falling losses through the engine's own <see cref="RunReporter"/> (so the run folder's history and previews are
/// written as the real engine writes them), checkpoints its step and writes a domain folder with a placeholder
/// generator file.
/// </summary>
public sealed class FakeAdaptationEngine(IOptions<FakeEngineOptions> options) : IAdaptationEngine
{
    /// <summary>File name of the fake generator in a domain folder.</summary>
    public const string GeneratorFileName = "generator.fake.json";

    private const string CheckpointFileName = "fake-checkpoint.json";
    private static readonly int[] PreviewSeeds = [1, 2, 3, 4];

    /// <summary>Every call made, for tests: the run folder, whether it resumed and the step it started from.</summary>
    public ConcurrentQueue<FakeRunCall> Calls { get; } = new();

    public bool HasCheckpoint(string runDirectory) => File.Exists(Path.Combine(runDirectory, CheckpointFileName));

    public AdaptationResult Run(AdaptationRequest request, RunContext context, bool resume)
    {
        RequestValidator.Validate(request);
        var layout = new RunLayout(request.OutputDirectory);
        var reporter = new RunReporter(layout, context);
        Directory.CreateDirectory(layout.Root);
        var checkpoint = Path.Combine(layout.Root, CheckpointFileName);
        var start = resume && File.Exists(checkpoint) ? JsonSerializer.Deserialize<FakeCheckpoint>(File.ReadAllText(checkpoint))!.Step : 0;
        Calls.Enqueue(new FakeRunCall(request.OutputDirectory, resume, start, request.Options));
        reporter.History.TruncateAfter(start);
        if (start == 0 && request.Options != new AdaptationOptions())
            reporter.Warn("The fake engine ignores the advanced options; they are kept with the job for the real engine.");
        reporter.Started(start, request.Iterations);

        var every = Math.Max(1, options.Value.FakePreviewEvery);
        var hue = FakeImages.HueOf(request.TargetText + string.Join("|", request.StyleImagePaths.Select(Path.GetFileName)));
        for (var step = start + 1; step <= request.Iterations; step++)
        {
            reporter.BeforeStep();
            // One "step": wait, but wake at once when cancelled.
            if (reporter.Cancellation.WaitHandle.WaitOne(options.Value.FakeStepMilliseconds)) reporter.Cancellation.ThrowIfCancellationRequested();
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
            reporter.Step(step, request.Iterations, losses, preview);
        }

        Directory.CreateDirectory(layout.DomainDir);
        var generator = Path.Combine(layout.DomainDir, GeneratorFileName);
        File.WriteAllText(generator, JsonSerializer.Serialize(new FakeGenerator("fake", request.SourceText, request.TargetText, hue)));
        var previewFile = Path.Combine(layout.DomainDir, "preview.png");
        File.WriteAllBytes(previewFile, FakeImages.GridPng(PreviewSeeds, hue, 1f));
        return new AdaptationResult(layout.DomainDir, generator, previewFile);
    }

    private sealed record FakeCheckpoint(int Step);
}

/// <summary>The placeholder generator file a fake run writes.</summary>
public sealed record FakeGenerator(string Kind, string SourceText, string TargetText, float TargetHue);

/// <summary>One call of <see cref="FakeAdaptationEngine.Run"/>.</summary>
public sealed record FakeRunCall(string OutputDirectory, bool Resume, int StartStep, AdaptationOptions Options);
