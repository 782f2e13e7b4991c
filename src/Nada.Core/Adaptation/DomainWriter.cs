using System.Text.Json;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>What a domain folder's <c>domain.json</c> says about it (<paramref name="Clips"/>: the CLIP models it was trained with; null in older folders).</summary>
public sealed record DomainInfo(
    string SourceText,
    string TargetText,
    IReadOnlyList<string> StyleImages,
    string BaseGenerator,
    int Iterations,
    AdaptationOptions Options,
    DateTimeOffset Created,
    IReadOnlyList<TrainingClip>? Clips = null);

/// <summary>
/// Writes the result of a run as a domain: <c>RUN/domain/generator.safetensors</c> (+ <c>generator.json</c>, our
/// format), <c>domain.json</c> (prompts, base model, settings) and <c>preview.png</c> (frozen row over adapted row).
/// Written to a temporary folder first, then renamed.
/// </summary>
public static class DomainWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the domain folder of a finished run.</summary>
    public static AdaptationResult Write(Runs.RunLayout layout, AdaptationRequest request, StyleGenerator trainable, NadaTrainer trainer, Tensor previewZ, AdaptationOptions options)
    {
        string final = layout.DomainDir;
        string temp = Path.Combine(layout.Root, $".domain-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        GeneratorLoader.Save(trainable, Path.Combine(temp, "generator.safetensors"));
        using (var scope = NewDisposeScope())
        {
            var (a, b) = trainer.Render(previewZ, options.PreviewTruncation);
            File.WriteAllBytes(Path.Combine(temp, "preview.png"), ImageEncoder.GridPng(cat([a, b], 0), columns: (int)a.shape[0]));
        }
        var info = new DomainInfo(request.SourceText, request.TargetText, request.StyleImagePaths.Select(Path.GetFileName).OfType<string>().ToList(),
            Path.GetFileName(request.GeneratorPath), request.Iterations, options, DateTimeOffset.UtcNow, TrainingClip.Of(request.ClipModels));
        File.WriteAllText(Path.Combine(temp, "domain.json"), JsonSerializer.Serialize(info, Json));
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        return new AdaptationResult(final, Path.Combine(final, "generator.safetensors"), Path.Combine(final, "preview.png"));
    }
}
