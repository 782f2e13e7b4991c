using System.CommandLine;
using Nada.Core.Generators;

namespace Nada.Cli.Commands;

/// <summary><c>nada convert IN OUT</c>: any readable generator file to our format.</summary>
public static class ConvertCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var input = new Argument<string>("IN") { Description = "Generator file: rosinality .pt, NVIDIA .pkl (ada-pytorch or TF), or ours" };
        var output = new Argument<string>("OUT") { Description = "Output path; writes OUT.safetensors and OUT.json" };
        var command = new Command("convert", "Convert a StyleGAN2 generator to NadaWeb's format (safetensors + JSON config)")
        {
            input, output,
        };
        command.SetAction(parse => io.Run(() =>
        {
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(output)!;
            var (g, format) = GeneratorLoader.Load(inPath);
            using (g)
            {
                io.Out.WriteLine($"read {inPath} ({format}): {g.Config.ImgResolution} px, z {g.Config.ZDim}, w {g.Config.WDim}, {g.Config.NumWs} W+ entries");
                var written = GeneratorLoader.Save(g, outPath);
                io.Out.WriteLine($"wrote {written} and {Core.Checkpoints.GeneratorLoading.NadaFormat.FilesFor(outPath).Config}");
            }
            return 0;
        }));
        return command;
    }
}
