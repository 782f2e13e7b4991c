using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Evaluation;

namespace Nada.Cli.Commands;

/// <summary>
/// <c>nada eval --generator BASE [--domain FILE[:ALPHA] ...] --clip FILE --target TEXT [--source TEXT] --samples N
/// [--seed S] [--truncation PSI] [--json F]</c>: CLIP-only quality, diversity and directional scores of a domain
/// (a mix of compact domains, or one full domain generator), or of the base generator without --domain.
/// </summary>
public static class EvalCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliOutput io)
    {
        var generator = new Option<string>("--generator", "-g") { Description = "Base generator file", Required = true };
        var domains = new Option<string[]>("--domain")
        {
            Description = "The domain: compact domain FILE[:ALPHA] (repeat for a mix), or one full domain generator FILE[:ALPHA] (blended with the base); none scores the base",
        };
        var clip = new Option<string>("--clip") { Description = "Evaluator CLIP file (preferably one the domain was not trained with)", Required = true };
        var target = new Option<string>("--target") { Description = "Text the domain should look like", Required = true };
        var source = new Option<string>("--source") { Description = "Text of the base generator's domain", DefaultValueFactory = _ => "photo" };
        var samples = new Option<int>("--samples") { Description = "Samples (seeds SEED .. SEED+N-1)", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "First seed", DefaultValueFactory = _ => 0 };
        var truncation = new Option<float>("--truncation", "--trunc") { Description = "Truncation psi of the samples (1 = none)", DefaultValueFactory = _ => 1f };
        var batch = new Option<int>("--batch") { Description = "Images per forward pass", DefaultValueFactory = _ => 8 };
        var json = new Option<string?>("--json") { Description = "Also write the scores as JSON to this file" };
        var command = new Command("eval", "Score a domain with CLIP only: quality toward the target, diversity, directional similarity to source -> target")
        {
            generator, domains, clip, target, source, samples, seed, truncation, batch, json,
        };
        command.SetAction((parse, ct) => Task.FromResult(io.Run(() =>
        {
            var request = new EvaluationRequest
            {
                GeneratorPath = parse.GetValue(generator)!,
                Domains = (parse.GetValue(domains) ?? []).Select(DomainWeight.Parse).ToList(),
                ClipPath = parse.GetValue(clip)!,
                TargetText = parse.GetValue(target)!,
                SourceText = parse.GetValue(source)!,
                Samples = parse.GetValue(samples),
                Seed = parse.GetValue(seed),
                Truncation = parse.GetValue(truncation),
                BatchSize = parse.GetValue(batch),
            };
            var scores = DomainEvaluator.Evaluate(request, ct);
            string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
            io.Out.WriteLine($"{scores.Kind.ToString().ToLowerInvariant()} domain, {scores.Samples} samples (seeds {scores.Seed}-{scores.Seed + scores.Samples - 1}, psi {scores.Truncation.ToString(CultureInfo.InvariantCulture)}), evaluator {scores.Evaluator}");
            io.Out.WriteLine($"quality {F(scores.Quality)} (base {F(scores.BaseQuality)})  diversity {F(scores.Diversity)} (base {F(scores.BaseDiversity)})  directional {F(scores.Directional)}");
            io.Out.WriteLine(scores.Note);
            if (parse.GetValue(json) is { } path)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (dir is not null) Directory.CreateDirectory(dir);
                File.WriteAllText(path, JsonSerializer.Serialize(new { request = new { request.GeneratorPath, request.Domains, request.ClipPath, request.TargetText, request.SourceText }, scores }, Json));
                io.Out.WriteLine($"wrote {path}");
            }
            return 0;
        })));
        return command;
    }
}
