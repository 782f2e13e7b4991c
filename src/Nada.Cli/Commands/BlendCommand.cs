using System.CommandLine;
using System.Globalization;
using Nada.Core.Editing;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada blend --source FILE --domain FILE... --alpha 0.5 --latent FILE --out IMG [--with-source]</c>: render a latent
/// through a blend of the source generator and an adapted domain; with several domains (or --with-source), the
/// source and every blend side by side.
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
        var withSource = new Option<bool>("--with-source") { Description = "Put the source image first even with one domain" };
        var command = new Command("blend", "Render a latent through a blend of the source generator and adapted domains")
        {
            source, domain, alpha, latent, outFile, withSource,
        };
        command.SetAction(parse => io.Run(() =>
        {
            float a = parse.GetValue(alpha);
            if (!float.IsFinite(a)) throw new ArgumentException($"Alpha must be a number, got {a}.");
            var domains = parse.GetValue(domain)!;
            using var session = new BlendSession(parse.GetValue(source)!, domains, parse.GetValue(latent)!);
            var png = session.RenderPng(a, includeSource: domains.Length > 1 || parse.GetValue(withSource));
            string outPath = parse.GetValue(outFile)!;
            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllBytes(outPath, png);
            io.Out.WriteLine($"wrote {outPath} (alpha {a.ToString(CultureInfo.InvariantCulture)}, {domains.Length} domain(s))");
            return 0;
        }));
        return command;
    }
}
