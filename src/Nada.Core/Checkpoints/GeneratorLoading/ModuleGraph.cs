using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// Flattens a pickled <c>torch.nn.Module</c> (an NVIDIA persistent record's state: <c>_parameters</c>,
/// <c>_buffers</c>, <c>_modules</c> and plain attributes) into dotted tensor names and per-module attributes.
/// A module that contains itself, or a tree whose shared sub-modules multiply past <see cref="GraphWalk.MaxVisits"/>, is refused.
/// </summary>
internal sealed class ModuleGraph
{
    /// <summary>Tensors by dotted name, e.g. "synthesis.b8.conv0.weight".</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new();

    /// <summary>Plain attributes by module path ("" = root), e.g. ["mapping.fc0"]["bias_gain"].</summary>
    public Dictionary<string, IReadOnlyDictionary<string, object?>> Attributes { get; } = new();

    /// <summary>Child module names by module path.</summary>
    public Dictionary<string, List<string>> Children { get; } = new();

    public static ModuleGraph From(string path, object? module, string what)
    {
        var g = new ModuleGraph();
        g.Walk(path, module, "", what, new GraphWalk(path, what), 0);
        return g;
    }

    /// <summary>An attribute of a module, or null.</summary>
    public object? Attr(string module, string name) =>
        Attributes.TryGetValue(module, out var a) && a.TryGetValue(name, out var v) ? v : null;

    private void Walk(string path, object? module, string prefix, string what, GraphWalk walk, int depth)
    {
        var state = StateOf(module)
            ?? throw new CheckpointException(path, $"{what}{(prefix.Length > 0 ? "." + prefix.TrimEnd('.') : "")} is not a pickled torch module (found {module?.GetType().Name ?? "None"})");
        walk.Enter(module!, depth, what + "." + prefix.TrimEnd('.'));
        string modPath = prefix.TrimEnd('.');
        Attributes[modPath] = state;
        foreach (var key in new[] { "_parameters", "_buffers" })
        {
            if (state.GetValueOrDefault(key) is not IDictionary<string, object?> tensors) continue;
            foreach (var (name, value) in tensors)
            {
                if (value is null) continue;                       // e.g. bias=None
                if (value is not Tensor t)
                    throw new CheckpointException(path, $"{what}.{prefix}{name} is not a tensor (found {value.GetType().Name})");
                Tensors[prefix + name] = t;
            }
        }
        var children = new List<string>();
        Children[modPath] = children;
        if (state.GetValueOrDefault("_modules") is IDictionary<string, object?> modules)
        {
            foreach (var (name, child) in modules)
            {
                if (child is null) continue;
                children.Add(name);
                Walk(path, child, prefix + name + ".", what, walk, depth + 1);
            }
        }
        walk.Leave(module!);
    }

    private static IReadOnlyDictionary<string, object?>? StateOf(object? module) => module switch
    {
        PickledObject p => p.State.TryGetValue("_modules", out _) || p.State.TryGetValue("_parameters", out _)
            ? p.State
            : p.State.GetValueOrDefault("state") as IReadOnlyDictionary<string, object?> ?? p.State,
        Dictionary<string, object?> d when d.ContainsKey("_parameters") => d,
        Dictionary<string, object?> d when d.GetValueOrDefault("state") is Dictionary<string, object?> s => s,
        _ => null,
    };
}
