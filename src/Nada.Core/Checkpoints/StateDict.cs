using static TorchSharp.torch;

namespace Nada.Core.Checkpoints;

/// <summary>Flattens an object graph from <see cref="CheckpointReader.Read"/> into dotted names -> tensors.</summary>
public static class StateDict
{
    /// <summary>
    /// Every tensor in <paramref name="graph"/> under a dotted name: dict keys and list indices joined by '.'.
    /// A pickled torch.nn.Module record (NVIDIA persistence; state with <c>_parameters</c>, <c>_buffers</c>,
    /// <c>_modules</c>) gives its state-dict names (parameters, persistent buffers, then sub-modules, as
    /// PyTorch's <c>state_dict()</c>); a TF-era Network gives its variables by TF name, and its components
    /// under "component/". The tensors are the graph's own (not copies). Cycles and paths deeper than 200 are not
    /// followed; a graph whose shared objects stand for more than a million paths is refused.
    /// </summary>
    /// <exception cref="CheckpointException">The graph's shared objects multiply past <see cref="GraphWalk.MaxVisits"/> paths;
    /// names <paramref name="path"/> (the file the graph came from) when given.</exception>
    public static Dictionary<string, Tensor> Flatten(object? graph, string prefix = "", string? path = null)
    {
        var result = new Dictionary<string, Tensor>();
        var visits = 0;
        Visit(graph, prefix, result, new HashSet<object>(ReferenceEqualityComparer.Instance), 0, ref visits, path ?? "(checkpoint)");
        return result;
    }

    /// <summary>Every distinct tensor of <paramref name="graph"/>, each once (shared objects are visited once): for disposing a graph.</summary>
    internal static List<Tensor> DistinctTensors(object? graph)
    {
        var tensors = new List<Tensor>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>();
        pending.Push(graph);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value is null or string || !seen.Add(value)) continue;
            IEnumerable<object?> children = value switch
            {
                Tensor t => Add(tensors, t),
                Dictionary<string, object?> d => d.Values,
                List<object?> l => l,
                object?[] a => a,
                PickledObject p => p.State.Values,
                _ => [],
            };
            foreach (var child in children) pending.Push(child);
        }
        return tensors;

        static IEnumerable<object?> Add(List<Tensor> list, Tensor t)
        {
            list.Add(t);
            return [];
        }
    }

    private static void Visit(object? value, string prefix, Dictionary<string, Tensor> result, HashSet<object> visiting, int depth,
        ref int visits, string path)
    {
        GraphWalk.CountStep(ref visits, prefix, path, "the object graph");
        if (value is Tensor tensor)
        {
            result[prefix.TrimEnd('.', '/')] = tensor;
            return;
        }
        if (value is null or string or long or double or bool || depth > 200 || !visiting.Add(value))
        {
            return;
        }
        try
        {
            switch (value)
            {
                case PickledObject { State: var state } when IsTorchModule(state):
                    VisitModule(state, prefix, result, visiting, depth, ref visits, path);
                    break;
                case PickledObject { ClassName: "Network", State: var state } when state.ContainsKey("variables"):
                    if (state["variables"] is List<object?> variables)
                    {
                        foreach (var variable in variables)
                        {
                            if (variable is object?[] { Length: 2 } pair && pair[0] is string name && pair[1] is Tensor t)
                            {
                                GraphWalk.CountStep(ref visits, prefix, path, "the object graph");
                                result[prefix + name] = t;
                            }
                        }
                    }
                    if (state.TryGetValue("components", out var components) && components is Dictionary<string, object?> parts)
                    {
                        foreach (var (name, component) in parts)
                        {
                            Visit(component, prefix + name + "/", result, visiting, depth + 1, ref visits, path);
                        }
                    }
                    break;
                case PickledObject record:
                    foreach (var (name, item) in record.State)
                    {
                        Visit(item, prefix + name + ".", result, visiting, depth + 1, ref visits, path);
                    }
                    break;
                case Dictionary<string, object?> dict:
                    foreach (var (name, item) in dict)
                    {
                        Visit(item, prefix + name + ".", result, visiting, depth + 1, ref visits, path);
                    }
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        Visit(list[i], prefix + i + ".", result, visiting, depth + 1, ref visits, path);
                    }
                    break;
                case object?[] tuple:
                    for (int i = 0; i < tuple.Length; i++)
                    {
                        Visit(tuple[i], prefix + i + ".", result, visiting, depth + 1, ref visits, path);
                    }
                    break;
            }
        }
        finally
        {
            visiting.Remove(value);
        }
    }

    private static bool IsTorchModule(IReadOnlyDictionary<string, object?> state) =>
        state.ContainsKey("_parameters") && state.ContainsKey("_buffers") && state.ContainsKey("_modules");

    private static void VisitModule(IReadOnlyDictionary<string, object?> state, string prefix, Dictionary<string, Tensor> result,
        HashSet<object> visiting, int depth, ref int visits, string path)
    {
        if (state["_parameters"] is Dictionary<string, object?> parameters)
        {
            foreach (var (name, item) in parameters)
            {
                if (item is Tensor t)
                {
                    GraphWalk.CountStep(ref visits, prefix, path, "the object graph");
                    result[prefix + name] = t;
                }
            }
        }
        var nonPersistent = state.TryGetValue("_non_persistent_buffers_set", out var set) && set is HashSet<object> names
            ? names
            : new HashSet<object>();
        if (state["_buffers"] is Dictionary<string, object?> buffers)
        {
            foreach (var (name, item) in buffers)
            {
                if (item is Tensor t && !nonPersistent.Contains(name))
                {
                    GraphWalk.CountStep(ref visits, prefix, path, "the object graph");
                    result[prefix + name] = t;
                }
            }
        }
        if (state["_modules"] is Dictionary<string, object?> modules)
        {
            foreach (var (name, item) in modules)
            {
                Visit(item, prefix + name + ".", result, visiting, depth + 1, ref visits, path);
            }
        }
    }
}
