using System.Text.Json;
using Nada.Core.Editing;
using Nada.Core.Imaging;
using Nada.Core.Runs;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>What the <c>domain.json</c> of a compact run says.</summary>
/// <param name="Kind">Always <see cref="DomainKind.Compact"/>.</param>
/// <param name="SourceText">Text of the base generator's domain.</param>
/// <param name="BaseGenerator">The generator the domains belong to.</param>
/// <param name="Domains">One entry per target: its text, file and preview (names inside <c>domain/</c>) and size in offsets.</param>
/// <param name="Iterations">Training steps.</param>
/// <param name="Options">The run's options.</param>
/// <param name="Created">When it was written.</param>
public sealed record CompactRunInfo(DomainKind Kind, string SourceText, GeneratorIdentity BaseGenerator,
    IReadOnlyList<CompactRunDomain> Domains, int Iterations, AdaptationOptions Options, DateTimeOffset Created);

/// <summary>One domain of a compact run's <c>domain.json</c>.</summary>
/// <param name="Target">Its target text.</param>
/// <param name="File">Its compact domain file, inside <c>domain/</c>.</param>
/// <param name="Preview">Its preview (base row over domain row), inside <c>domain/</c>.</param>
/// <param name="Parameters">Number of offsets.</param>
public sealed record CompactRunDomain(string Target, string File, string Preview, long Parameters);

/// <summary>
/// Writes the result of a compact run into <c>RUN/domain/</c>: per target <c>NN-slug.safetensors</c> (the compact domain,
/// see <see cref="CompactDomainFile"/>) and <c>NN-slug.png</c>, plus <c>preview.png</c> (base row, then one row per
/// target) and <c>domain.json</c> (<see cref="CompactRunInfo"/>). Written to a temporary folder first, then renamed.
/// </summary>
public static class CompactDomainWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the domain folder of a finished compact run; <paramref name="lastValues"/> are the last reported step's loss values.</summary>
    public static AdaptationResult Write(RunLayout layout, AdaptationRequest request, CompactTrainer trainer, Tensor previewZ,
        GeneratorIdentity identity, IReadOnlyList<TrainingClip> clips, IReadOnlyDictionary<string, double> lastValues)
    {
        var options = request.Options;
        string final = layout.DomainDir;
        string temp = Path.Combine(layout.Root, $".domain-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        var targets = trainer.Targets;
        var created = DateTimeOffset.UtcNow;
        var entries = new List<CompactRunDomain>();
        using (var scope = NewDisposeScope())
        {
            var (baseImages, domains) = trainer.Render(previewZ, options.PreviewTruncation);
            int columns = (int)baseImages.shape[0];
            File.WriteAllBytes(Path.Combine(temp, "preview.png"), ImageEncoder.GridPng(cat([baseImages, .. domains], 0), columns: columns));
            for (int t = 0; t < targets.Count; t++)
            {
                string file = RunLayout.CompactDomainName(t, targets[t]), preview = RunLayout.CompactPreviewName(t, targets[t]);
                var info = new CompactDomainInfo
                {
                    BaseGenerator = identity,
                    Family = trainer.Family,
                    SourceText = request.SourceText,
                    TargetText = targets[t],
                    StyleImages = request.StyleImagePaths.Select(Path.GetFileName).OfType<string>().ToList(),
                    IncludesToRgb = options.CompactToRgb,
                    Iterations = request.Iterations,
                    Options = options,
                    FinalLosses = LossesOf(lastValues, targets, t),
                    Clips = clips,
                    Created = created,
                    Engine = typeof(CompactDomainWriter).Assembly.GetName().Version?.ToString(),
                };
                var offsets = trainer.OffsetsOf(t).ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone());
                using var domain = new CompactDomain(info, offsets, file);
                CompactDomainFile.Save(Path.Combine(temp, file), domain);
                File.WriteAllBytes(Path.Combine(temp, preview), ImageEncoder.GridPng(cat([baseImages, domains[t]], 0), columns: columns));
                entries.Add(new CompactRunDomain(targets[t], file, preview, domain.ParameterCount));
            }
        }
        var runInfo = new CompactRunInfo(DomainKind.Compact, request.SourceText, identity, entries, request.Iterations, options, created);
        File.WriteAllText(Path.Combine(temp, "domain.json"), JsonSerializer.Serialize(runInfo, Json));
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        var results = entries.Select(e => new CompactDomainResult(e.Target, Path.Combine(final, e.File), Path.Combine(final, e.Preview))).ToList();
        return new AdaptationResult(final, results[0].File, Path.Combine(final, "preview.png"), DomainKind.Compact, results);
    }

    /// <summary>Target <paramref name="t"/>'s values: all of them with one target, else those named <c>NAME@TARGET</c>, without the suffix.</summary>
    private static Dictionary<string, double> LossesOf(IReadOnlyDictionary<string, double> values, IReadOnlyList<string> targets, int t)
    {
        if (targets.Count == 1) return values.ToDictionary(kv => kv.Key, kv => kv.Value);
        string suffix = "@" + targets[t];
        return values.Where(kv => kv.Key.EndsWith(suffix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[..^suffix.Length], kv => kv.Value);
    }
}
