using System.CommandLine;
using Nada.Core;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada blend --source FILE --domain FILE... --alpha 0.5 --latent FILE --out IMG</c>: render a latent through a
/// blend of the source generator and an adapted domain; with several domains, the source and every blend side by side.
/// </summary>
public static class BlendCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var source = new Option<string>("--source") { Description = "Source (base) generator", Required = true };
        var domain = new Option<string[]>("--domain") { Description = "Adapted domain generator; repeat for several side by side", Required = true, AllowMultipleArgumentsPerToken = true };
        var alpha = new Option<float>("--alpha") { Description = "0 = source, 1 = domain", DefaultValueFactory = _ => 0.5f };
        var latent = new Option<string>("--latent") { Description = "Latent file made with the source generator (nada invert / nada edit)", Required = true };
        var outFile = new Option<string>("--out", "-o") { Description = "Output PNG", Required = true };
        var command = new Command("blend", "Render a latent through a blend of the source generator and adapted domains") { source, domain, alpha, latent, outFile };
        command.SetAction(parse => io.Run(() =>
        {
            float a = parse.GetValue(alpha);
            if (!float.IsFinite(a)) throw new ArgumentException($"Alpha must be a number, got {a}.");
            var device = EngineDevice.Default;
            string sourcePath = parse.GetValue(source)!;
            using var src = GeneratorLoader.LoadGenerator(sourcePath).ToDevice(device);
            var srcId = GeneratorIdentity.Of(src, Path.GetFileName(sourcePath));
            var domains = new List<StyleGan2Generator>();
            try
            {
                foreach (var d in parse.GetValue(domain)!) domains.Add(GeneratorLoader.LoadGenerator(d).ToDevice(device));
                var loaded = LatentFile.LoadFor(parse.GetValue(latent)!, srcId);
                using var w = loaded.WPlus;
                using var blender = new DomainBlender(src);
                using var scope = NewDisposeScope();
                var images = domains.Count == 1 ? blender.Render(domains[0], a, w) : blender.RenderSideBySide(domains, a, w);
                string outPath = parse.GetValue(outFile)!;
                var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
                if (dir is not null) Directory.CreateDirectory(dir);
                File.WriteAllBytes(outPath, images.shape[0] == 1 ? ImageEncoder.ToPngs(images)[0] : ImageEncoder.GridPng(images, columns: (int)images.shape[0]));
                io.Out.WriteLine($"wrote {outPath} (alpha {a.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {domains.Count} domain(s))");
                return 0;
            }
            finally
            {
                foreach (var d in domains) d.Dispose();
            }
        }));
        return command;
    }
}
