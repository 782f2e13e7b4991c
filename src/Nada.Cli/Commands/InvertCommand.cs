using System.CommandLine;
using System.Globalization;
using Nada.Core.Adaptation;
using Nada.Core.Editing;
using Nada.Core.Runs;

namespace Nada.Cli.Commands;

/// <summary><c>nada invert --generator FILE --photo IMG --out DIR [--steps N] [--space w|wplus] [--clip FILE[:w]...]</c>: project a photo into a generator.</summary>
public static class InvertCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var generator = new Option<string>("--generator", "-g") { Description = "Generator file (any supported format)", Required = true };
        var photo = new Option<string>("--photo") { Description = "Photo to invert (PNG, JPEG, WebP, GIF, BMP)", Required = true };
        var outDir = new Option<string>("--out", "-o") { Description = "Run folder: result/ (latent.safetensors, reconstruction.png, strip.png, inversion.json), samples/, history.jsonl", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimisation steps", DefaultValueFactory = _ => new InversionOptions().Steps };
        var space = new Option<string>("--space") { Description = "Latent space: w or wplus", DefaultValueFactory = _ => "wplus" };
        space.AcceptOnlyFromAmong("w", "wplus");
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate" };
        var clip = new Option<string[]>("--clip") { Description = "Optional CLIP file(s), FILE[:WEIGHT], for a perceptual term", AllowMultipleArgumentsPerToken = true };
        var precision = PrecisionOption.Create("the generator and CLIP");
        var command = new Command("invert", "Find the latent of a generator that reproduces a photo") { generator, photo, outDir, steps, space, lr, clip, precision };
        command.SetAction((parse, ct) => Task.FromResult(io.Run(() =>
        {
            var defaults = new InversionOptions();
            var request = new InversionRequest
            {
                GeneratorPath = parse.GetValue(generator)!,
                PhotoPath = parse.GetValue(photo)!,
                OutputDirectory = parse.GetValue(outDir)!,
                ClipModels = (parse.GetValue(clip) ?? []).Select(ClipSpec.Parse).ToList(),
                Options = defaults with
                {
                    Steps = parse.GetValue(steps),
                    Space = parse.GetValue(space) == "w" ? LatentSpace.W : LatentSpace.WPlus,
                    LearningRate = parse.GetValue(lr) ?? defaults.LearningRate,
                },
                Precision = PrecisionOption.Parse(parse.GetValue(precision)),
            };
            try
            {
                var result = EditRunner.Invert(request, RunContext.For(new ConsoleEditProgress(io.Out, request.Options.PreviewEvery), ct));
                io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"inverted: mse {result.StartMse:F5} -> {result.FinalMse:F5}; latent {result.LatentFile}, image {result.ImagePng}"));
                return 0;
            }
            catch (OperationCanceledException)
            {
                io.Err.WriteLine("cancelled");
                return 130;
            }
        })));
        return command;
    }
}

/// <summary>Parses <c>FILE[:WEIGHT]</c> CLIP arguments.</summary>
internal static class ClipSpec
{
    public static ClipModelChoice Parse(string spec)
    {
        int colon = spec.LastIndexOf(':');
        if (colon > 0 && float.TryParse(spec[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            return new ClipModelChoice(spec[..colon], weight);
        return new ClipModelChoice(spec, 1f);
    }
}

/// <summary>Prints one line per reported step (every <c>every</c> steps and the last).</summary>
internal sealed class ConsoleEditProgress(TextWriter output, int every) : IRunProgress
{
    public void Step(StepReport p)
    {
        if (p.Step % every != 0 && p.Step != p.TotalSteps) return;
        var inv = CultureInfo.InvariantCulture;
        var losses = string.Join(" ", p.Values.Where(kv => kv.Key is not (EditProgress.ClipScoreName or EditProgress.LearningRateName))
            .Select(kv => $"{kv.Key} {kv.Value.ToString("F4", inv)}"));
        var score = p.Values.TryGetValue(EditProgress.ClipScoreName, out var s) ? $" clip {s.ToString("F4", inv)}" : "";
        var lr = p.Values.TryGetValue(EditProgress.LearningRateName, out var r) ? $" lr {r.ToString("G3", inv)}" : "";
        var phase = p.Phase is null ? "" : $" ({p.Phase})";
        output.WriteLine($"step {p.Step}/{p.TotalSteps}{phase} {losses}{score}{lr}");
    }
}
