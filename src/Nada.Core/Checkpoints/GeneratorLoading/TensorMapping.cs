using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// One row of a format's mapping table: the generator tensor <see cref="Target"/> (its state-dict name) is filled from the checkpoint tensor <see cref="Source"/> after <see cref="Transform"/>.
/// </summary>
/// <param name="Target">Name in the generator's state dict.</param>
/// <param name="Source">Name in the checkpoint (flattened with '.' or '/').</param>
/// <param name="Transform">Layout change (transpose, reshape, flip, +1 ...); null = as is.</param>
public sealed record TensorMapping(string Target, string Source, Func<Tensor, Tensor>? Transform = null);

/// <summary>
/// Fills a generator from a checkpoint's tensors through a mapping table, insisting that every generator
/// tensor is filled, every checkpoint tensor is used (or explicitly ignored) and every shape matches.
/// All problems are collected and reported in one <see cref="CheckpointException"/>.
/// </summary>
public static class TensorMappingFiller
{
    /// <summary>Copies the mapped tensors into <paramref name="target"/> (its state dict, by name).</summary>
    /// <param name="path">The checkpoint file (for messages).</param>
    /// <param name="format">Format name for messages, e.g. "NVIDIA stylegan2-ada-pytorch pickle".</param>
    /// <param name="target">Live tensors to fill (e.g. a generator's state dict).</param>
    /// <param name="source">The checkpoint's tensors by name.</param>
    /// <param name="table">The format's mapping table.</param>
    /// <param name="ignored">Checkpoint tensors that are deliberately not used (checked elsewhere or derivable).</param>
    public static void Fill(string path, string format, IReadOnlyDictionary<string, Tensor> target,
        IReadOnlyDictionary<string, Tensor> source, IReadOnlyList<TensorMapping> table, IEnumerable<string>? ignored = null)
    {
        var missing = new List<string>();
        var misShaped = new List<string>();
        var unfilled = new List<string>();
        var used = new HashSet<string>(ignored ?? []);
        var byTarget = new Dictionary<string, TensorMapping>();
        foreach (var row in table)
        {
            if (!byTarget.TryAdd(row.Target, row))
                throw new InvalidOperationException($"Mapping table for {format} fills '{row.Target}' twice.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, dest) in target)
        {
            if (!byTarget.TryGetValue(name, out var row))
            {
                unfilled.Add(name);
                continue;
            }
            if (!source.TryGetValue(row.Source, out var src))
            {
                missing.Add(row.Source);
                continue;
            }
            used.Add(row.Source);
            var value = row.Transform is null ? src : row.Transform(src);
            if (!value.shape.SequenceEqual(dest.shape))
            {
                misShaped.Add($"{row.Source} {Shape(src)} (needs {Shape(dest)} for {name})");
                continue;
            }
            dest.copy_(value.to(dest.dtype, dest.device));
        }
        foreach (var row in table)
            if (!target.ContainsKey(row.Target)) unfilled.Add("(table row for unknown parameter) " + row.Target);
        var unused = source.Keys.Where(k => !used.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();

        var problems = new List<string>();
        if (missing.Count > 0) problems.Add($"missing tensors: {List(missing)}");
        if (misShaped.Count > 0) problems.Add($"mis-shaped tensors: {List(misShaped)}");
        if (unused.Count > 0) problems.Add($"unused tensors: {List(unused)}");
        if (unfilled.Count > 0) problems.Add($"generator parameters with no source: {List(unfilled)}");
        if (problems.Count > 0)
            throw new CheckpointException(path, $"does not match the generator layout of a {format}: {string.Join("; ", problems)}",
                "The file may be a different architecture or damaged");
    }

    /// <summary>"[a, b, c]".</summary>
    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    private static string List(List<string> items) =>
        items.Count <= 8 ? string.Join(", ", items) : string.Join(", ", items.Take(8)) + $" and {items.Count - 8} more";
}
