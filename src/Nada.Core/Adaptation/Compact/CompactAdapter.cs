using System.Text.Json;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Ops;
using Nada.Core.Runs;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>
/// Runs one compact adaptation from request to compact domains, as <see cref="DomainAdapter"/> runs a full one (it
/// sends compact requests here): the base generator is loaded once, the CLIP models once, one loss set per target;
/// progress, preview grids (base row, then one row per target), atomic checkpoints of the offsets and their Adam
/// state, cancellation within a step, bit-identical resume and the NaN stop work as for full training. Writes one
/// compact domain file and preview per target into the run's <c>domain/</c>.
/// Synchronous: call it on the thread that owns the job (TorchSharp dispose scopes are thread-static).
/// </summary>
public static class CompactAdapter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Runs (or, with <paramref name="resume"/>, continues) the compact adaptation described by <paramref name="request"/>.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; a checkpoint of the last finished step was written.</exception>
    /// <exception cref="AdaptationFailedException">The loss became NaN or infinite; the last good checkpoint is kept.</exception>
    public static AdaptationResult Run(AdaptationRequest request, RunContext context, bool resume = false)
    {
        if (request.Kind != DomainKind.Compact)
            throw new ArgumentException("CompactAdapter runs compact requests only; DomainAdapter runs both kinds.");
        RequestValidator.Validate(request);
        var options = request.Options;
        var layout = new RunLayout(request.OutputDirectory);
        var reporter = new RunReporter(layout, context);
        (request, var promptWarnings) = FitPrompts(request);
        var targets = request.TargetTexts;
        Directory.CreateDirectory(layout.Root);
        var device = EngineDevice.Current;
        var ct = context.Cancellation;

        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath);
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));   // hashed on the CPU, before the move
        generator.ToDevice(device);
        var clips = TrainingClip.Of(request.ClipModels, ct);
        var skipped = new List<SkippedImage>();
        using var ensemble = ClipEnsemble.Load(request.ClipModels, new ClipLoadOptions(Dtype: request.Options.PlanFor(device).Clip.DType(), Device: device));
        var losses = new List<(string Target, IAdaptationLoss Loss)>();
        try
        {
            foreach (var target in targets)
            {
                var one = request with { TargetText = target, Targets = [] };
                var set = AdaptationLossFactory.CreateLossSet(ensemble, one, generator, device, skipped);
                var view = new ClipEnsemble(ensemble.Members.Select(m => (m.Model, m.Weight)), ownsModels: false);
                losses.Add((target, new ClipAdaptationLoss(view, set, string.IsNullOrWhiteSpace(target) ? null : target)));
            }
            using var trainer = new CompactTrainer(generator, losses, options);
            WriteRunConfig(layout, request, generator, identity, trainer, skipped);
            return Train(request, reporter, layout, trainer, generator.Config, identity, clips, promptWarnings, skipped, device, resume);
        }
        finally
        {
            foreach (var (_, loss) in losses) (loss as IDisposable)?.Dispose();
        }
    }

    private static AdaptationResult Train(AdaptationRequest request, RunReporter reporter, RunLayout layout, CompactTrainer trainer,
        IGeneratorConfig config, GeneratorIdentity identity, IReadOnlyList<TrainingClip> clips, List<string> promptWarnings,
        List<SkippedImage> skipped, Device device, bool resume)
    {
        var options = request.Options;
        int startStep = 0;
        var losses = new List<double>();
        if (resume && RunCheckpoint.LoadLatest(layout.Root, reporter.Warn) is { } checkpoint)
        {
            using (checkpoint)
            {
                trainer.LoadOffsets(checkpoint.Weights);
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

        using var previewZ = RunRandom.PreviewLatents(options.Seed, options.PreviewSamples, config.ZDim, device);
        reporter.Started(startStep, request.Iterations);
        var pending = new List<(int Step, TrainStepResult Result)>();
        int step = startStep;
        try
        {
            while (step < request.Iterations)
            {
                reporter.BeforeStep();
                using var scope = NewDisposeScope();
                using var draws = RunRandom.ForStep(options, step, config, device, trainer.SelectsLayers);
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
                    DomainAdapter.Flush(pending, losses, reporter, request.Iterations, preview ? RenderPreview(trainer, previewZ, options) : null);
                if (save)
                    SaveCheckpoint(layout, step, trainer, losses);
            }
        }
        catch (OperationCanceledException)
        {
            DomainAdapter.Flush(pending, losses, reporter, request.Iterations, null);
            if (step > startStep)
                SaveCheckpoint(layout, step, trainer, losses);
            throw;
        }
        var last = reporter.History.Read().LastOrDefault()?.Values ?? new Dictionary<string, double>();
        return CompactDomainWriter.Write(layout, request, trainer, previewZ, identity, clips, last);
    }

    private static (AdaptationRequest Request, List<string> Warnings) FitPrompts(AdaptationRequest request)
    {
        var warnings = new List<string>();
        if (!request.Options.TruncatePrompts)
            return (request, warnings);
        var (source, cutSource) = PromptFitter.Fit(request.SourceText);
        if (cutSource) warnings.Add($"source text truncated to fit CLIP's context: \"{source}\"");
        var targets = new List<string>();
        foreach (var target in request.TargetTexts)
        {
            var (fitted, cut) = string.IsNullOrWhiteSpace(target) ? (target, false) : PromptFitter.Fit(target);
            if (cut) warnings.Add($"target text truncated to fit CLIP's context: \"{fitted}\"");
            targets.Add(fitted);
        }
        return (request with
        {
            SourceText = source,
            TargetText = targets[0],
            Targets = request.Targets.Count > 0 ? targets : [],
        }, warnings);
    }

    private static byte[] RenderPreview(CompactTrainer trainer, Tensor previewZ, AdaptationOptions options)
    {
        using var scope = NewDisposeScope();
        var (baseImages, domains) = trainer.Render(previewZ, options.PreviewTruncation);
        return ImageEncoder.GridPng(cat([baseImages, .. domains], 0), columns: (int)baseImages.shape[0]);   // base row, then one row per target
    }

    private static void SaveCheckpoint(RunLayout layout, int step, CompactTrainer trainer, List<double> losses)
    {
        using var scope = NewDisposeScope();
        var offsets = trainer.AllOffsets();
        var bad = offsets.FirstOrDefault(kv => !isfinite(kv.Value).all().item<bool>());
        if (bad.Key is not null)
            throw new AdaptationFailedException($"The offsets became NaN or infinite by step {step} ('{bad.Key}'); training stopped. The last good checkpoint is kept. Try a lower learning rate.");
        var (optimizer, steps) = trainer.Optimizer.ExportState();
        RunCheckpoint.Save(layout.Root, new RunCheckpointState(step, steps, losses.ToList()), offsets, optimizer);
    }

    private static void WriteRunConfig(RunLayout layout, AdaptationRequest request, StyleGenerator generator, GeneratorIdentity identity,
        CompactTrainer trainer, List<SkippedImage> skipped)
    {
        var record = new
        {
            request,
            kind = DomainKind.Compact,
            skippedStyleImages = skipped,
            generator = (object)generator.Config,
            baseGenerator = identity,
            layers = trainer.Layers,
            layerSelection = trainer.SelectsLayers ? "adaptive (the layers that read the chosen W+ entries)" : "fixed",
            fixedTrainable = trainer.FixedLayers,
            engine = typeof(CompactAdapter).Assembly.GetName().Version?.ToString(),
        };
        RunLayout.WriteAtomic(layout.RunJson, JsonSerializer.Serialize(record, Json));
    }
}
