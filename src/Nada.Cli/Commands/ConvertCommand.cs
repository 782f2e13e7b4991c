using System.CommandLine;
using Nada.Core.Generators;

namespace Nada.Cli.Commands;

/// <summary><c>nada convert IN OUT</c>: any readable generator file (StyleGAN2 or StyleGAN3) to our format.</summary>
public static class ConvertCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var input = new Argument<string>("IN") { Description = "Generator file: rosinality .pt, NVIDIA .pkl (ada-pytorch, stylegan3 or TF), or ours" };
        var output = new Argument<string>("OUT") { Description = "Output path; writes OUT.safetensors and OUT.json" };
        var to = new Option<string>("--to") { Description = "Output format: nada (OUT.safetensors + OUT.json) or rosinality (OUT as a .pt for StyleGAN-NADA)", DefaultValueFactory = _ => "nada" };
        to.AcceptOnlyFromAmong("nada", "rosinality");
        var command = new Command("convert", "Convert a StyleGAN2 or StyleGAN3 generator to NadaWeb's format (safetensors + JSON config), or a StyleGAN2 one to a rosinality .pt")
        {
            input, output, to,
        };
        command.SetAction(parse => io.Run(() =>
        {
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            var (g, format) = GeneratorLoader.Load(inPath);
            using (g)
            {
                io.Out.WriteLine($"read {inPath} ({format}): {g.Config.ImgResolution} px, z {g.Config.ZDim}, w {g.Config.WDim}, {g.Config.NumWs} W+ entries");
                if (parse.GetValue(to) == "rosinality")
                {
                    GeneratorLoader.SaveRosinality(g, outPath);
                    io.Out.WriteLine($"wrote {outPath} (rosinality: g_ema + latent_avg)");
                }
                else
                {
                    var written = GeneratorLoader.Save(g, outPath);
                    io.Out.WriteLine($"wrote {written} and {Core.Checkpoints.GeneratorLoading.NadaFormat.FilesFor(outPath).Config}");
                }
            }
            return 0;
        }));
        return command;
    }
}
