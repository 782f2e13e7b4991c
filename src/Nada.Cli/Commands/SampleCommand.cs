using System.CommandLine;
using System.Diagnostics;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada sample --generator FILE --seeds 0-15 --truncation 0.7 --out DIR [--grid] [--noise const]
/// [--translate X,Y] [--rotate DEG] [--domain FILE[:ALPHA] ...]</c> (translate and rotate for StyleGAN3, as NVIDIA's
/// gen_images.py; --domain renders a mix of compact domains of the generator).
/// </summary>
public static class SampleCommand
{
    /// <summary>Images rendered per forward pass.</summary>
    public const int BatchSize = 8;

    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var generator = new Option<string>("--generator", "-g") { Description = "Generator file (any supported format)", Required = true };
        var seeds = new Option<string>("--seeds") { Description = "Seeds, e.g. 0-15 or 1,5,9 (z as NumPy RandomState(seed).randn)", DefaultValueFactory = _ => "0-7" };
        var truncation = new Option<float>("--truncation", "--trunc") { Description = "Truncation psi toward the average W (1 = none)", DefaultValueFactory = _ => 1f };
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder for seedNNNN.png", Required = true };
        var grid = new Option<bool>("--grid") { Description = "Also write grid.png with all images" };
        var noise = new Option<string>("--noise") { Description = "Noise: const (stored), random or none", DefaultValueFactory = _ => "const" };
        noise.AcceptOnlyFromAmong("const", "random", "none");
        var translate = new Option<string?>("--translate") { Description = "StyleGAN3: shift the image by X,Y image widths (1/resolution = one pixel; +X right, +Y down)" };
        var rotate = new Option<float>("--rotate") { Description = "StyleGAN3: rotate the image by this many degrees", DefaultValueFactory = _ => 0f };
        var precision = PrecisionOption.Create("the generator (default fp32)");
        var domains = new Option<string[]>("--domain")
        {
            Description = $"A compact domain of the generator, FILE or FILE:ALPHA (strength, default 1, within ±{DomainMix.MaxAbsAlpha}); repeat to render the mix sum alpha_i d_i",
        };
        var command = new Command("sample", "Render images from a generator (optionally with a mix of its compact domains) for a list of seeds")
        {
            generator, seeds, truncation, outDir, grid, noise, translate, rotate, domains, precision,
        };
        command.SetAction(parse => io.Run(() => Run(io, parse.GetValue(generator)!, parse.GetValue(seeds)!,
            parse.GetValue(truncation), parse.GetValue(outDir)!, parse.GetValue(grid), parse.GetValue(noise)!,
            ParseTransform(parse.GetValue(translate), parse.GetValue(rotate)),
            (parse.GetValue(domains) ?? []).Select(DomainWeight.Parse).ToList(), PrecisionOption.Parse(parse.GetValue(precision)))));
        return command;
    }

    /// <summary>Disposes the compact domains of a sampling run.</summary>
    private sealed class CompactList(List<CompactDomain> domains) : IDisposable
    {
        public void Dispose()
        {
            foreach (var d in domains) d.Dispose();
        }
    }

    private static InputTransform? ParseTransform(string? translate, float rotate)
    {
        if (translate is null && rotate == 0f) return null;
        if (!float.IsFinite(rotate)) throw new FormatException($"--rotate must be a number of degrees, got {rotate}.");
        double x = 0, y = 0;
        if (translate is not null)
        {
            var parts = translate.Split(',');
            if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out x)
                || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out y)
                || !double.IsFinite(x) || !double.IsFinite(y))
                throw new FormatException($"--translate must be two numbers X,Y (image widths, e.g. 0.25,0), got '{translate}'.");
        }
        return new InputTransform(x, y, rotate);
    }

    private static int Run(CliOutput io, string generatorPath, string seedSpec, float psi, string outDir, bool grid, string noiseName,
        InputTransform? transform, IReadOnlyList<DomainWeight> mix, Nada.Core.Ops.ComputePrecision? precision)
    {
        var seedList = SeedLatents.Parse(seedSpec);
        if (!float.IsFinite(psi)) throw new FormatException($"Truncation must be a number, got {psi}.");
        var noise = noiseName switch { "random" => NoiseMode.Random, "none" => NoiseMode.None, _ => NoiseMode.Const };
        using var g = GeneratorLoader.LoadGenerator(generatorPath);
        if (transform is not null)
        {
            if (g is not StyleGan3Generator sg3)
                throw new ArgumentException($"--translate and --rotate need a StyleGAN3 generator; {generatorPath} is {g.Config.Family}.");
            sg3.SetInputTransform(transform);
        }
        if (precision is { } p) g.ComputeDtype = Nada.Core.Ops.Precisions.DType(p);
        var compact = new List<CompactDomain>();
        using var release = new CompactList(compact);
        foreach (var d in mix) compact.Add(CompactDomainFile.Load(d.File));
        using var lease = mix.Count == 0 ? null
            : DomainMix.Apply(g, GeneratorIdentity.Of(g, Path.GetFileName(generatorPath)), compact.Zip(mix, (c, d) => (c, d.Alpha)).ToList());
        Directory.CreateDirectory(outDir);
        io.Out.WriteLine($"generator {generatorPath}: {g.Config.ImgResolution} px; {seedList.Count} seeds, psi {psi}, noise {noiseName}");
        foreach (var (c, d) in compact.Zip(mix))
            io.Out.WriteLine($"  compact domain {c.Name} (\"{c.Info.TargetText}\") at {d.Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var all = new List<Tensor>();
        using var keep = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        for (int start = 0; start < seedList.Count; start += BatchSize)
        {
            var batch = seedList.Skip(start).Take(BatchSize).ToList();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = SeedLatents.FromSeeds(batch, g.Config.ZDim);                 // [B, ZDim]
            var images = g.Generate(z, psi, noise);                             // [B, C, H, W]
            var pngs = ImageEncoder.ToPngs(images);
            for (int i = 0; i < batch.Count; i++)
                File.WriteAllBytes(Path.Combine(outDir, $"seed{batch[i]:D4}.png"), pngs[i]);
            if (grid) all.Add(images.MoveToOuterDisposeScope());
            io.Out.WriteLine($"  {Math.Min(start + BatchSize, seedList.Count)}/{seedList.Count} images ({sw.Elapsed.TotalSeconds:F1} s)");
        }
        if (grid)
        {
            var gridPath = Path.Combine(outDir, "grid.png");
            File.WriteAllBytes(gridPath, ImageEncoder.GridPng(cat(all, 0)));
            io.Out.WriteLine($"wrote {gridPath}");
        }
        io.Out.WriteLine($"wrote {seedList.Count} images to {outDir}");
        return 0;
    }
}
