namespace Nada.Core.Runs;

/// <summary>
/// Every path of a run folder, in one place. A run folder belongs to one job (an adaptation, an edit, an inversion)
/// and the engine is its only writer:
/// <code>
/// RUN/run.json                   what was asked (request, options, generator config)
/// RUN/inputs/                    sanitised inputs the job was given (style images, photos)
/// RUN/history.jsonl              one line per reported step: values, image file (see <see cref="RunHistory"/>)
/// RUN/warnings.txt               one line per warning that did not stop the run
/// RUN/samples/step-NNNNNN.png    preview images, each written once
/// RUN/checkpoints/               resumable training state (<see cref="Adaptation.RunCheckpoint"/>)
/// RUN/domain/                    an adaptation's result: generator, domain.json, preview.png (compact: one
///                                NN-target.safetensors and NN-target.png per target, domain.json, preview.png)
/// RUN/result/                    an edit's or inversion's result: latent, images, scores
/// </code>
/// </summary>
public sealed class RunLayout
{
    /// <summary>A layout over <paramref name="root"/> (made absolute; nothing is created).</summary>
    public RunLayout(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new ArgumentException("No run folder was given.");
        Root = Path.GetFullPath(root);
    }

    /// <summary>The run folder.</summary>
    public string Root { get; }

    /// <summary>The request and settings, as JSON.</summary>
    public string RunJson => Path.Combine(Root, "run.json");

    /// <summary>Sanitised inputs of the job (style images, photos).</summary>
    public string InputsDir => Path.Combine(Root, "inputs");

    /// <summary>One JSON line per reported step.</summary>
    public string HistoryFile => Path.Combine(Root, "history.jsonl");

    /// <summary>Warnings that did not stop the run, one per line.</summary>
    public string WarningsFile => Path.Combine(Root, "warnings.txt");

    /// <summary>Preview images.</summary>
    public string SamplesDir => Path.Combine(Root, "samples");

    /// <summary>Training checkpoints.</summary>
    public string CheckpointsDir => Path.Combine(Root, "checkpoints");

    /// <summary>An adaptation's finished domain.</summary>
    public string DomainDir => Path.Combine(Root, "domain");

    /// <summary>An edit's or inversion's results.</summary>
    public string ResultDir => Path.Combine(Root, "result");

    /// <summary>
    /// File name (inside <see cref="DomainDir"/>) of the compact domain of target <paramref name="index"/> (0-based):
    /// <c>NN-slug.safetensors</c>, NN counting from 01, the slug from the target's letters and digits.
    /// </summary>
    public static string CompactDomainName(int index, string target) => $"{index + 1:D2}-{Slug(target)}.safetensors";

    /// <summary>File name (inside <see cref="DomainDir"/>) of the preview of target <paramref name="index"/>: <c>NN-slug.png</c>.</summary>
    public static string CompactPreviewName(int index, string target) => $"{index + 1:D2}-{Slug(target)}.png";

    /// <summary>Lower-case letters and digits of <paramref name="text"/>, other runs of characters as one '-', at most 40 characters; "domain" when nothing is left.</summary>
    public static string Slug(string text)
    {
        var sb = new System.Text.StringBuilder();
        foreach (char c in text.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
            if (sb.Length >= 40) break;
        }
        var slug = sb.ToString().Trim('-');
        return slug.Length == 0 ? "domain" : slug;
    }

    /// <summary>The preview image of step <paramref name="step"/>.</summary>
    public string SampleFile(int step) => Path.Combine(SamplesDir, $"step-{step:D6}.png");

    /// <summary>A path inside the run folder, relative to it (as history lines store them).</summary>
    public string Relative(string path) => Path.GetRelativePath(Root, Path.GetFullPath(path)).Replace('\\', '/');

    /// <summary>Resolves a path stored relative to the run folder; refuses anything outside it.</summary>
    public string Resolve(string relative)
    {
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"'{relative}' is outside the run folder {Root}.");
        return full;
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically (temporary file, then rename), creating its folder.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes text (UTF-8) atomically.</summary>
    public static void WriteAtomic(string path, string text) => WriteAtomic(path, System.Text.Encoding.UTF8.GetBytes(text));
}
