using System.CommandLine;
using System.Globalization;
using Nada.Core.Adaptation;
using Nada.Core.Generators;
using Nada.Core.Runs;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada adapt --generator FILE --clip FILE[:weight]... --source "photo" --target "sketch" [--target "pixar character" ...]
/// [--style-images DIR] [--domain-kind full|compact] --iters 300 --out DIR [--resume]</c>: StyleGAN-NADA adaptation,
/// headless; a full domain (a fine-tuned generator) or compact ones (offsets of the base generator's styles, one per target).
/// </summary>
public static class AdaptCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var generator = new Option<string>("--generator", "-g") { Description = "Base generator file (any supported format)", Required = true };
        var clip = new Option<string[]>("--clip") { Description = "CLIP weights file, optionally FILE:WEIGHT; repeat for an ensemble", Required = true, AllowMultipleArgumentsPerToken = true };
        var source = new Option<string>("--source") { Description = "Text of the generator's domain", DefaultValueFactory = _ => "photo" };
        var target = new Option<string[]>("--target") { Description = "Text of the new domain (may be empty with --style-images); repeat for several compact domains trained together" };
        var kind = new Option<string>("--domain-kind") { Description = "full: fine-tune a copy of the generator (default); compact: train per-channel style offsets of the base generator (one small file per target)", DefaultValueFactory = _ => "full" };
        kind.AcceptOnlyFromAmong("full", "compact");
        var styleImages = new Option<string?>("--style-images") { Description = "Folder of example images of the target domain (image-guided mode)" };
        var iters = new Option<int>("--iters") { Description = "Training iterations", DefaultValueFactory = _ => 300 };
        var outDir = new Option<string>("--out", "-o") { Description = "Run folder (config, checkpoints, samples, domain/)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's last checkpoint" };
        var preset = new Option<string?>("--preset")
        {
            Description = "defaults: the reference's argument defaults (default for full); readme: its README FFHQ settings (batch 2, k 18, 1 selection iteration, selection batch 8); " +
                          "hyperdomainnet: HyperDomainNet's single-domain text setting (batch 4, plain Adam lr 0.1, mixing 0.9, every convolution; default for compact)",
        };
        preset.AcceptOnlyFromAmong("defaults", "readme", "hyperdomainnet");
        var batch = new Option<int?>("--batch") { Description = "Images per step" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (Adam runs at lr x 4/5)" };
        var k = new Option<int?>("--auto-layer-k") { Description = "W+ entries trained per step (adaptive layer freezing)" };
        var layerIters = new Option<int?>("--auto-layer-iters") { Description = "SGD iterations of layer selection (0: off, use --phase)" };
        var layerBatch = new Option<int?>("--auto-layer-batch") { Description = "Latents in the layer-selection batch" };
        var mapping = new Option<string?>("--layer-mapping") { Description = "generator (W+ entry i trains the conv that reads it) or reference (the original code's list)" };
        mapping.AcceptOnlyFromAmong("generator", "reference");
        var phase = new Option<string?>("--phase") { Description = "Trainable set without layer selection: default, texture, shape, shape-expanded, no-fine, all" };
        phase.AcceptOnlyFromAmong("default", "texture", "shape", "shape-expanded", "no-fine", "all");
        var mixing = new Option<double?>("--mixing") { Description = "Style-mixing probability" };
        var lambdas = new[] { "direction", "global", "patch", "manifold", "texture" }
            .Select(n => new Option<float?>($"--lambda-{n}") { Description = $"Weight of the {n} loss" }).ToArray();
        var lambdaAngle = new Option<float?>("--lambda-angle") { Description = "Weight of HyperDomainNet's in-domain angle-consistency loss (batch of 2 or more)" };
        var toRgb = new Option<bool>("--compact-to-rgb") { Description = "Compact domains: give the to_rgb layers offsets too (off, as in HyperDomainNet)" };
        var adam = new Option<string?>("--adam") { Description = "Adam setup: stylegan-nada (lr x 4/5, betas (0, 0.99^0.8)) or plain (lr, betas (0.9, 0.999))" };
        adam.AcceptOnlyFromAmong("stylegan-nada", "plain");
        var sampleEvery = new Option<int?>("--sample-every") { Description = "Steps between preview grids" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Steps between checkpoints" };
        var seed = new Option<int?>("--seed") { Description = "Seed of every random draw of the run" };
        var truncate = new Option<bool>("--truncate-prompts") { Description = "Shorten prompts longer than CLIP's 77 tokens (with a warning) instead of failing" };
        var noise = new Option<string?>("--noise") { Description = "Training noise: random (as the reference) or const" };
        noise.AcceptOnlyFromAmong("random", "const");
        var precision = PrecisionOption.Create("the generators and CLIP");

        var command = new Command("adapt", "Adapt a generator to a new domain described by text or example images (StyleGAN-NADA)")
        {
            generator, clip, source, target, styleImages, iters, outDir, resume, preset, batch, lr, k, layerIters, layerBatch,
            mapping, phase, mixing, sampleEvery, checkpointEvery, seed, noise, truncate, precision, kind, lambdaAngle, toRgb, adam,
        };
        foreach (var l in lambdas) command.Options.Add(l);

        command.SetAction((parse, ct) => Task.FromResult(io.Run(() =>
        {
            var domainKind = parse.GetValue(kind) == "compact" ? DomainKind.Compact : DomainKind.Full;
            var o = (parse.GetValue(preset) ?? (domainKind == DomainKind.Compact ? "hyperdomainnet" : "defaults")) switch
            {
                "readme" => AdaptationOptions.ReadmePreset,
                "hyperdomainnet" => AdaptationOptions.HyperDomainNetPreset,
                _ => new AdaptationOptions(),
            };
            o = o with
            {
                BatchSize = parse.GetValue(batch) ?? o.BatchSize,
                LearningRate = parse.GetValue(lr) ?? o.LearningRate,
                AutoLayerK = parse.GetValue(k) ?? o.AutoLayerK,
                AutoLayerIters = parse.GetValue(layerIters) ?? o.AutoLayerIters,
                AutoLayerBatch = parse.GetValue(layerBatch) ?? o.AutoLayerBatch,
                LayerMapping = parse.GetValue(mapping) switch { "reference" => WPlusLayerMapping.Reference, "generator" => WPlusLayerMapping.FollowsGenerator, _ => o.LayerMapping },
                Phase = parse.GetValue(phase) is { } ph ? Enum.Parse<TrainablePhase>(ph.Replace("-", ""), ignoreCase: true) : o.Phase,
                Mixing = parse.GetValue(mixing) ?? o.Mixing,
                LambdaDirection = parse.GetValue(lambdas[0]) ?? o.LambdaDirection,
                LambdaGlobal = parse.GetValue(lambdas[1]) ?? o.LambdaGlobal,
                LambdaPatch = parse.GetValue(lambdas[2]) ?? o.LambdaPatch,
                LambdaManifold = parse.GetValue(lambdas[3]) ?? o.LambdaManifold,
                LambdaTexture = parse.GetValue(lambdas[4]) ?? o.LambdaTexture,
                LambdaAngle = parse.GetValue(lambdaAngle) ?? o.LambdaAngle,
                CompactToRgb = parse.GetValue(toRgb) || o.CompactToRgb,
                Adam = parse.GetValue(adam) switch { "plain" => AdamSetup.Plain, "stylegan-nada" => AdamSetup.StyleGanNada, _ => o.Adam },
                SampleEvery = parse.GetValue(sampleEvery) ?? o.SampleEvery,
                CheckpointEvery = parse.GetValue(checkpointEvery) ?? o.CheckpointEvery,
                Seed = parse.GetValue(seed) ?? o.Seed,
                TruncatePrompts = parse.GetValue(truncate) || o.TruncatePrompts,
                TrainNoise = parse.GetValue(noise) switch { "const" => NoiseMode.Const, "random" => NoiseMode.Random, _ => o.TrainNoise },
                Precision = PrecisionOption.Parse(parse.GetValue(precision)) ?? o.Precision,
            };
            var styles = parse.GetValue(styleImages);
            var targets = parse.GetValue(target) ?? [];
            var skipped = new List<Nada.Core.Imaging.SkippedImage>();
            var request = new AdaptationRequest
            {
                GeneratorPath = parse.GetValue(generator)!,
                ClipModels = parse.GetValue(clip)!.Select(ParseClip).ToList(),
                SourceText = parse.GetValue(source)!,
                TargetText = targets.Length > 0 ? targets[0] : "",
                Targets = targets.Length > 1 ? targets : [],
                Kind = domainKind,
                StyleImagePaths = styles is null ? [] : Nada.Core.Imaging.StyleImageLoader.ListFolder(styles, skipped),
                Iterations = parse.GetValue(iters),
                OutputDirectory = parse.GetValue(outDir)!,
                Options = o,
            };
            foreach (var s in skipped)
                io.Err.WriteLine($"warning: skipping {s.Path}: {s.Reason}");
            if (styles is not null && request.StyleImagePaths.Count == 0)
                throw new InvalidDataException($"The style image folder '{styles}' holds no image files.");
            bool doResume = parse.GetValue(resume);
            try
            {
                var result = DomainAdapter.Run(request, RunContext.For(new ConsoleProgress(io.Out, io.Err), ct), doResume);
                if (result.CompactDomains is { } compact)
                    foreach (var d in compact)
                        io.Out.WriteLine($"compact domain \"{d.Target}\" written to {d.File} (preview {d.PreviewPng})");
                else
                    io.Out.WriteLine($"domain written to {result.DomainDirectory} (generator {result.GeneratorFile}, preview {result.PreviewPng})");
                return 0;
            }
            catch (OperationCanceledException)
            {
                io.Err.WriteLine($"cancelled; a checkpoint is in {request.OutputDirectory}: continue with --resume");
                return 130;
            }
        })));
        return command;
    }

    private static ClipModelChoice ParseClip(string spec)
    {
        int colon = spec.LastIndexOf(':');
        if (colon > 0 && float.TryParse(spec[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            return new ClipModelChoice(spec[..colon], weight);
        return new ClipModelChoice(spec, 1f);
    }

    /// <summary>One line per report: step, losses, chosen layers, and time (since process start, and per step since the last report).</summary>
    private sealed class ConsoleProgress(TextWriter output, TextWriter error) : IRunProgress
    {
        private readonly System.Diagnostics.Stopwatch _sinceLast = new();
        private int _lastStep = -1;

        private static double SinceStart => (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalSeconds;

        public void Started(int fromStep, int totalSteps)
        {
            string from = fromStep > 0 ? $" (resumed after step {fromStep})" : "";
            output.WriteLine($"training steps {fromStep + 1}-{totalSteps}{from}; start-up took {SinceStart.ToString("F2", CultureInfo.InvariantCulture)} s");
            _sinceLast.Restart();
            _lastStep = fromStep;
        }

        public void Step(StepReport p)
        {
            double sinceStart = SinceStart;
            string rate = _lastStep >= 0 && p.Step > _lastStep
                ? $", {(_sinceLast.Elapsed.TotalSeconds / (p.Step - _lastStep)).ToString("F3", CultureInfo.InvariantCulture)} s/step" : "";
            _lastStep = p.Step;
            _sinceLast.Restart();
            var losses = string.Join(" ", p.Values.OrderBy(kv => kv.Key == "total" ? 0 : 1).Select(kv => $"{kv.Key} {kv.Value.ToString("F4", CultureInfo.InvariantCulture)}"));
            var layers = p.ChosenLayers is null ? "" : $" layers [{string.Join(",", p.ChosenLayers)}]";
            var preview = p.ImageFile is null ? "" : " (preview)";
            output.WriteLine($"step {p.Step}/{p.TotalSteps} {losses}{layers}{preview} [{sinceStart.ToString("F1", CultureInfo.InvariantCulture)} s{rate}]");
        }

        public void Warn(string message) => error.WriteLine("warning: " + message);
    }
}
