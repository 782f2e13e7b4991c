using System.Text.Json;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Imaging;
using Nada.Core.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>
/// Runs one adaptation from request to domain: loads the generator twice (frozen, trainable) and the CLIP
/// models, trains with progress reports, preview grids and atomic checkpoints, honours cancellation within
/// a step, resumes from the last checkpoint, and writes the adapted generator as a domain folder. A compact
/// request (<see cref="DomainKind.Compact"/>) goes to <see cref="Compact.CompactAdapter"/>.
/// Synchronous: call it on the thread that owns the job (TorchSharp dispose scopes are thread-static).
/// </summary>
public static class DomainAdapter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Runs (or, with <paramref name="resume"/>, continues) the adaptation described by <paramref name="request"/>.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint of the last finished step was written.</exception>
    /// <exception cref="AdaptationFailedException">The loss became NaN or infinite; the last good checkpoint is kept.</exception>
    public static AdaptationResult Run(AdaptationRequest request, RunContext context, bool resume = false)
    {
        var options = request.Options;
        RequestValidator.Validate(request);
        if (request.Targets.Count == 1)
            request = request with { TargetText = request.Targets[0], Targets = [] };   // one target, however it was given
        if (request.Kind == DomainKind.Compact)
            return Compact.CompactAdapter.Run(request, context, resume);
        var layout = new RunLayout(request.OutputDirectory);
        var reporter = new RunReporter(layout, context);
        (request, var promptWarnings) = FitPrompts(request);
        Directory.CreateDirectory(layout.Root);
        var device = EngineDevice.Current;
        var ct = context.Cancellation;

        using var frozen = GeneratorLoader.LoadGenerator(request.GeneratorPath);
        frozen.ToDevice(device);
        using var trainable = frozen.Clone();
        var skipped = new List<SkippedImage>();
        using var loss = AdaptationLossFactory.Create(request, frozen, device, skipped);
        using var trainer = new NadaTrainer(frozen, trainable, loss, options);
        WriteRunConfig(layout, request, frozen.Config, trainer, skipped);

        int startStep = 0;
        var losses = new List<double>();
        if (resume && RunCheckpoint.LoadLatest(layout.Root, reporter.Warn) is { } checkpoint)
        {
            using (checkpoint)
            {
                LoadWeights(trainable, checkpoint.Weights);
                trainer.Optimizer.ImportState(checkpoint.Optimizer, checkpoint.State.AdamSteps);
                startStep = checkpoint.State.Step;
                losses.AddRange(checkpoint.State.Losses);
            }
        }
        // The history holds each step once: what came after the checkpoint is done again.
        reporter.History.TruncateAfter(startStep);
        if (startStep == 0)
        {
            foreach (var w in promptWarnings) reporter.Warn(w);
            foreach (var s in skipped) reporter.Warn($"style image {Path.GetFileName(s.Path)} skipped: {s.Reason}");
        }

        using var previewZ = RunRandom.PreviewLatents(options.Seed, options.PreviewSamples, frozen.Config.ZDim, device);
        reporter.Started(startStep, request.Iterations);
        var pending = new List<(int Step, TrainStepResult Result)>();
        int step = startStep;
        try
        {
            while (step < request.Iterations)
            {
                reporter.BeforeStep();
                using var scope = NewDisposeScope();
                using var draws = RunRandom.ForStep(options, step, frozen.Config, device, trainer.SelectsLayers);
                var result = trainer.Step(draws.Z, draws.MixZ, draws.MixIndex, draws.SelectionZ, draws.Noise);
                step++;
                pending.Add((step, result with
                {
                    Total = result.Total.MoveToOuterDisposeScope(),
                    Parts = result.Parts.ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope()),
                }));
                bool preview = step % options.SampleEvery == 0 || step == request.Iterations || step == startStep + 1;
                bool save = step % options.CheckpointEvery == 0 || step == request.Iterations;
                if (preview || save || pending.Count >= options.ReportEvery)
                    Flush(pending, losses, reporter, request.Iterations, preview ? RenderPreview(trainer, previewZ, options) : null);
                if (save)
                    SaveCheckpoint(layout, step, trainable, trainer, losses);
            }
        }
        catch (OperationCanceledException)
        {
            Flush(pending, losses, reporter, request.Iterations, null);
            if (step > startStep)
                SaveCheckpoint(layout, step, trainable, trainer, losses);
            throw;
        }
        catch (AdaptationFailedException)
        {
            throw;   // the last good checkpoint stays; nothing after the bad step is written
        }
        return DomainWriter.Write(layout, request, trainable, trainer, previewZ, options);
    }

    private static (AdaptationRequest Request, List<string> Warnings) FitPrompts(AdaptationRequest request)
    {
        var warnings = new List<string>();
        if (!request.Options.TruncatePrompts)
            return (request, warnings);
        var (source, cutSource) = PromptFitter.Fit(request.SourceText);
        var (target, cutTarget) = string.IsNullOrWhiteSpace(request.TargetText) ? (request.TargetText, false) : PromptFitter.Fit(request.TargetText);
        if (cutSource) warnings.Add($"source text truncated to fit CLIP's context: \"{source}\"");
        if (cutTarget) warnings.Add($"target text truncated to fit CLIP's context: \"{target}\"");
        return (request with { SourceText = source, TargetText = target }, warnings);
    }

    /// <summary>Reads pending step results on the host, stops on a non-finite loss, and reports them (shared with the compact loop).</summary>
    internal static void Flush(List<(int Step, TrainStepResult Result)> pending, List<double> losses, RunReporter progress, int total, byte[]? previewPng)
    {
        if (pending.Count == 0)
            return;
        try
        {
            for (int i = 0; i < pending.Count; i++)
            {
                var (step, r) = pending[i];
                double value = r.Total.cpu().item<float>();                     // host sync: only at reporting intervals
                if (!double.IsFinite(value))
                    throw new AdaptationFailedException($"The loss became {value} at step {step}; training stopped. The last good checkpoint is kept. Try a lower learning rate or other loss weights.");
                losses.Add(value);
                var parts = r.Parts.ToDictionary(kv => kv.Key, kv => (double)kv.Value.cpu().item<float>());
                parts["total"] = value;
                bool last = i == pending.Count - 1;
                progress.Step(step, total, parts, last ? previewPng : null, r.Selection?.Chosen);
            }
        }
        finally
        {
            foreach (var (_, r) in pending)
            {
                r.Total.Dispose();
                foreach (var t in r.Parts.Values) t.Dispose();
            }
            pending.Clear();
        }
    }

    private static byte[] RenderPreview(NadaTrainer trainer, Tensor previewZ, AdaptationOptions options)
    {
        using var scope = NewDisposeScope();
        var (a, b) = trainer.Render(previewZ, options.PreviewTruncation);
        return ImageEncoder.GridPng(cat([a, b], 0), columns: (int)a.shape[0]);   // row 1 frozen, row 2 adapted
    }

    private static void SaveCheckpoint(RunLayout layout, int step, StyleGenerator trainable, NadaTrainer trainer, List<double> losses)
    {
        using var scope = NewDisposeScope();
        var weights = trainable.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var bad = weights.FirstOrDefault(kv => !isfinite(kv.Value).all().item<bool>());
        if (bad.Key is not null)
            throw new AdaptationFailedException($"The weights became NaN or infinite by step {step} ('{bad.Key}'); training stopped. The last good checkpoint is kept. Try a lower learning rate.");
        var (optimizer, steps) = trainer.Optimizer.ExportState();
        RunCheckpoint.Save(layout.Root, new RunCheckpointState(step, steps, losses.ToList()), weights, optimizer);
    }

    private static void LoadWeights(StyleGenerator generator, IReadOnlyDictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in generator.state_dict())
        {
            if (!weights.TryGetValue(name, out var saved))
                throw new InvalidDataException($"The run checkpoint lacks '{name}'; it belongs to another generator. Start the run afresh.");
            t.copy_(saved);
        }
    }

    private static void WriteRunConfig(RunLayout layout, AdaptationRequest request, IGeneratorConfig config, NadaTrainer trainer, List<SkippedImage> skipped)
    {
        var record = new
        {
            request,
            skippedStyleImages = skipped,
            generator = (object)config,
            layerSelection = trainer.SelectsLayers ? "adaptive" : "fixed",
            fixedTrainable = trainer.SelectsLayers ? null : trainer.TrainableParameterNames,
            engine = typeof(DomainAdapter).Assembly.GetName().Version?.ToString(),
        };
        RunLayout.WriteAtomic(layout.RunJson, JsonSerializer.Serialize(record, Json));
    }
}

/// <summary>The adaptation stopped because training diverged; the message says at which step and what to try.</summary>
public sealed class AdaptationFailedException(string message) : Exception(message);
