using System.Text.Json;
using Nada.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>What a run checkpoint records besides tensors.</summary>
/// <param name="Step">Training steps completed when it was written.</param>
/// <param name="AdamSteps">Adam's step count per parameter name.</param>
/// <param name="Losses">Total loss of every completed step, for the loss chart after a resume.</param>
public sealed record RunCheckpointState(int Step, IReadOnlyDictionary<string, long> AdamSteps, IReadOnlyList<double> Losses);

/// <summary>A loaded run checkpoint: the trainable generator's weights, Adam's state and the run state.</summary>
public sealed class LoadedRunCheckpoint(RunCheckpointState state, Dictionary<string, Tensor> weights, Dictionary<string, Tensor> optimizer) : IDisposable
{
    /// <summary>The run state.</summary>
    public RunCheckpointState State { get; } = state;
    /// <summary>The trainable generator's state dict.</summary>
    public Dictionary<string, Tensor> Weights { get; } = weights;
    /// <summary>Adam's moment tensors.</summary>
    public Dictionary<string, Tensor> Optimizer { get; } = optimizer;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
        foreach (var t in Optimizer.Values) t.Dispose();
    }
}

/// <summary>
/// Atomic run checkpoints in <c>RUN/checkpoints/step-NNNNNN/</c> (weights.safetensors, optimizer.safetensors,
/// state.json), written to a temporary folder and renamed, then named in <c>RUN/checkpoints/latest.json</c>.
/// Every random draw of a step derives from the run seed and the step index, so the step count is the whole
/// random state: a resumed run continues exactly.
/// </summary>
public static class RunCheckpoint
{
    private const string LatestFile = "latest.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes a checkpoint and points latest.json at it; keeps the previous one, deletes older ones.</summary>
    public static string Save(string runDirectory, RunCheckpointState state, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyDictionary<string, Tensor> optimizer)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        Directory.CreateDirectory(root);
        string name = $"step-{state.Step:D6}";
        string final = Path.Combine(root, name);
        string temp = Path.Combine(root, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        SafeTensorsFile.Save(Path.Combine(temp, "weights.safetensors"), ToCpu(weights));
        SafeTensorsFile.Save(Path.Combine(temp, "optimizer.safetensors"), ToCpu(optimizer));
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        WriteAtomic(Path.Combine(root, LatestFile), JsonSerializer.Serialize(new LatestPointer(name), Json));
        Prune(root, keep: 2);
        return final;
    }

    /// <summary>True when the run folder holds a checkpoint to resume from.</summary>
    public static bool Exists(string runDirectory)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        return File.Exists(Path.Combine(root, LatestFile)) || (Directory.Exists(root) && Directory.GetDirectories(root, "step-*").Length > 0);
    }

    /// <summary>
    /// Loads the newest readable checkpoint: the one <c>latest.json</c> names, else the others newest first, falling
    /// back past any that is corrupt or incomplete (each told to <paramref name="warn"/>). Null when there is none
    /// (or none readable: the run starts afresh).
    /// </summary>
    public static LoadedRunCheckpoint? LoadLatest(string runDirectory, Action<string>? warn = null)
    {
        string root = Path.Combine(runDirectory, "checkpoints");
        if (!Directory.Exists(root)) return null;
        var candidates = new List<string>();
        try
        {
            var pointer = JsonSerializer.Deserialize<LatestPointer>(File.ReadAllText(Path.Combine(root, LatestFile)));
            if (pointer?.Checkpoint is { } named && !named.Contains('/') && !named.Contains('\\') && named.StartsWith("step-", StringComparison.Ordinal))
                candidates.Add(named);
        }
        catch (Exception e) when (e is IOException or JsonException) { }
        candidates.AddRange(Directory.GetDirectories(root, "step-*").Select(Path.GetFileName).OfType<string>()
            .OrderByDescending(n => n, StringComparer.Ordinal).Where(n => !candidates.Contains(n)));
        foreach (var name in candidates)
        {
            try
            {
                return Load(Path.Combine(root, name));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or JsonException or CheckpointException or UnauthorizedAccessException)
            {
                warn?.Invoke($"The checkpoint {name} cannot be read ({e.Message}); using the one before it.");
            }
        }
        if (candidates.Count > 0) warn?.Invoke("No checkpoint of this run can be read; it starts again from step 0.");
        return null;
    }

    private static LoadedRunCheckpoint Load(string dir)
    {
        string stateFile = Path.Combine(dir, "state.json");
        if (!File.Exists(stateFile))
            throw new InvalidDataException("it has no state.json");
        var state = JsonSerializer.Deserialize<RunCheckpointState>(File.ReadAllText(stateFile))
            ?? throw new InvalidDataException("its state.json is empty");
        var (weights, _) = SafeTensorsFile.Load(Path.Combine(dir, "weights.safetensors"));
        try
        {
            var (optimizer, _) = SafeTensorsFile.Load(Path.Combine(dir, "optimizer.safetensors"));
            return new LoadedRunCheckpoint(state, weights, optimizer);
        }
        catch
        {
            foreach (var t in weights.Values) t.Dispose();
            throw;
        }
    }

    private static Dictionary<string, Tensor> ToCpu(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.ToDictionary(kv => kv.Key, kv => kv.Value.device_type == DeviceType.CPU ? kv.Value : kv.Value.cpu());

    private static void WriteAtomic(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static void Prune(string root, int keep)
    {
        var dirs = Directory.GetDirectories(root, "step-*").OrderBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var old in dirs.Take(Math.Max(0, dirs.Count - keep)))
            Directory.Delete(old, recursive: true);
        foreach (var stale in Directory.GetDirectories(root, ".tmp-*"))
            Directory.Delete(stale, recursive: true);
    }

    private sealed record LatestPointer(string Checkpoint);
}
