using System.CommandLine;
using System.Globalization;
using Nada.Core.Editing;
using Nada.Core.Runs;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada edit --generator FILE --clip FILE[:w]... --text "..." (--seed N | --latent FILE | --photo IMG) --out DIR
/// [--steps N] [--lr X] [--l2 X] [--base FILE]</c>: move one image toward a text by latent optimisation.
/// </summary>
public static class EditCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var defaults = new LatentOptimizationOptions();
        var generator = new Option<string>("--generator", "-g") { Description = "Generator to edit with: a base generator or a domain", Required = true };
        var baseGen = new Option<string?>("--base") { Description = "The base generator a domain was adapted from (its latents are accepted too)" };
        var clip = new Option<string[]>("--clip") { Description = "CLIP weights file, optionally FILE:WEIGHT; repeat for an ensemble", Required = true, AllowMultipleArgumentsPerToken = true };
        var text = new Option<string>("--text") { Description = "What the image should show", Required = true };
        var seed = new Option<int?>("--seed") { Description = "Start from this seed" };
        var latent = new Option<string?>("--latent") { Description = "Start from a latent file (nada invert / nada edit)" };
        var photo = new Option<string?>("--photo") { Description = "Start from a photo (inverted first)" };
        var outDir = new Option<string>("--out", "-o") { Description = "Run folder: result/ (latent.safetensors, start.png, edited.png, strip.png, edit.json), samples/, history.jsonl", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimisation steps", DefaultValueFactory = _ => defaults.Steps };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var l2 = new Option<double>("--l2") { Description = "Weight of the pull toward the starting latent", DefaultValueFactory = _ => defaults.L2Weight };
        var photoWeight = new Option<double>("--photo-weight") { Description = "From a photo: weight of the CLIP distance to the photo", DefaultValueFactory = _ => defaults.PhotoWeight };
        var inversionSteps = new Option<int>("--inversion-steps") { Description = "From a photo: inversion steps", DefaultValueFactory = _ => new InversionOptions().Steps };
        var precision = PrecisionOption.Create("the generator and CLIP");
        var command = new Command("edit", "Edit one image by text (latent optimisation with CLIP)")
        {
            generator, baseGen, clip, text, seed, latent, photo, outDir, steps, lr, l2, photoWeight, inversionSteps, precision,
        };
        command.SetAction((parse, ct) => Task.FromResult(io.Run(() =>
        {
            var request = new EditRequest
            {
                GeneratorPath = parse.GetValue(generator)!,
                BaseGeneratorPath = parse.GetValue(baseGen),
                ClipModels = parse.GetValue(clip)!.Select(ClipSpec.Parse).ToList(),
                Text = parse.GetValue(text)!,
                Start = new EditStart(parse.GetValue(seed), parse.GetValue(latent), parse.GetValue(photo)),
                OutputDirectory = parse.GetValue(outDir)!,
                Options = defaults with
                {
                    Steps = parse.GetValue(steps),
                    LearningRate = parse.GetValue(lr),
                    L2Weight = parse.GetValue(l2),
                    PhotoWeight = parse.GetValue(photoWeight),
                },
                Inversion = new InversionOptions { Steps = parse.GetValue(inversionSteps) },
                Precision = PrecisionOption.Parse(parse.GetValue(precision)),
            };
            try
            {
                var result = EditRunner.Edit(request, RunContext.For(new ConsoleEditProgress(io.Out, request.Options.PreviewEvery), ct));
                io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"edited: clip score {result.StartScore:F4} -> {result.FinalScore:F4}; latent {result.LatentFile}, image {result.ImagePng}, strip {result.StripPng}"));
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
