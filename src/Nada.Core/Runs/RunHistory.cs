using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nada.Core.Runs;

/// <summary>One line of <c>history.jsonl</c>: a reported step.</summary>
/// <param name="Step">Steps done in the job.</param>
/// <param name="TotalSteps">Steps of the job.</param>
/// <param name="Values">Loss terms and scores.</param>
/// <param name="Image">The step's preview image, relative to the run folder; null when none.</param>
/// <param name="Layers">W+ entries trained this step, when layer selection ran.</param>
/// <param name="Phase">The job's phase, for jobs of several.</param>
public sealed record HistoryRecord(
    int Step,
    int TotalSteps,
    IReadOnlyDictionary<string, double> Values,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Image = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Layers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Phase = null);

/// <summary>
/// A run's step history (<c>history.jsonl</c>) and warnings (<c>warnings.txt</c>), written by the engine as it reports
/// and read by whoever shows the run. Every step appears once: a resumed run first cuts the history back to its
/// checkpoint's step (<see cref="TruncateAfter"/>), and a reader keeps the last line of a repeated step and drops a
/// line torn by a crash.
/// </summary>
public sealed class RunHistory(RunLayout layout)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Appends a step (one line, flushed).</summary>
    public void Append(HistoryRecord record)
    {
        Directory.CreateDirectory(layout.Root);
        var line = JsonSerializer.Serialize(record, Json) + "\n";
        using var fs = new FileStream(layout.HistoryFile, FileMode.Append, FileAccess.Write, FileShare.Read);
        // A line torn by a crash has no newline: start on a fresh line so the next one parses.
        if (fs.Length > 0 && !EndsWithNewline(layout.HistoryFile)) fs.WriteByte((byte)'\n');
        var bytes = System.Text.Encoding.UTF8.GetBytes(line);
        fs.Write(bytes);
        fs.Flush();
    }

    /// <summary>Appends a warning line.</summary>
    public void Warn(string message)
    {
        Directory.CreateDirectory(layout.Root);
        File.AppendAllText(layout.WarningsFile, message.ReplaceLineEndings(" ") + "\n");
    }

    /// <summary>Keeps the steps up to <paramref name="step"/> and drops the rest (a resume from that step's checkpoint).</summary>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(layout.HistoryFile)) return;
        var kept = Read().Where(r => r.Step <= step).Select(r => JsonSerializer.Serialize(r, Json) + "\n");
        RunLayout.WriteAtomic(layout.HistoryFile, string.Concat(kept));
    }

    /// <summary>The steps in order, each once (the last line of a repeated step wins; torn lines are skipped).</summary>
    public IReadOnlyList<HistoryRecord> Read()
    {
        var byStep = new SortedDictionary<int, HistoryRecord>();
        if (!File.Exists(layout.HistoryFile)) return [];
        using var fs = new FileStream(layout.HistoryFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs);
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            HistoryRecord? r;
            try { r = JsonSerializer.Deserialize<HistoryRecord>(line, Json); }
            catch (JsonException) { continue; }
            if (r is null) continue;
            // A step reported again (a rerun after a crash before truncation) replaces itself and what came after it.
            foreach (var later in byStep.Keys.Where(k => k >= r.Step).ToList()) byStep.Remove(later);
            byStep[r.Step] = r;
        }
        return byStep.Values.ToList();
    }

    /// <summary>The warnings so far.</summary>
    public IReadOnlyList<string> Warnings() =>
        File.Exists(layout.WarningsFile) ? File.ReadAllLines(layout.WarningsFile).Where(l => l.Length > 0).ToList() : [];

    private static bool EndsWithNewline(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (fs.Length == 0) return true;
        fs.Seek(-1, SeekOrigin.End);
        return fs.ReadByte() == '\n';
    }
}
