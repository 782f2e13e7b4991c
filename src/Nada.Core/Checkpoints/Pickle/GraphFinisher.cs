using Nada.Core.Checkpoints.Numpy;
using Nada.Core.Checkpoints.Torch;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// Turns the unpickled graph into its public form, in place: pending tensors and numpy arrays become
/// TorchSharp tensors (each once, so shared objects stay shared), numpy dtypes become their names, bare
/// storages become 1-D tensors, and allowed classes left as values become their dotted names.
/// </summary>
internal static class GraphFinisher
{
    private const int MaxDepth = 1000;

    public static object? Finish(object? graph, PickleContext context)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        return Visit(graph, context, visited, 0);
    }

    private static object? Visit(object? value, PickleContext context, HashSet<object> visited, int depth)
    {
        if (depth > MaxDepth)
        {
            throw context.Fail($"the object graph is nested more than {MaxDepth} levels deep");
        }
        switch (value)
        {
            case null or string or long or double or bool or byte[] or System.Numerics.BigInteger or Tensor:
                return value;
            case PendingTensor pending:
                return pending.Materialize(context);
            case NumpyArray array:
                return array.ToTensor(context);
            case NumpyDtype dtype:
                return dtype.Name;
            case TorchStorage storage:
                return storage.GetTensor(context);
            case DtypeMarker dtypeMarker:
                return "torch." + dtypeMarker.Name;
            case PyCallable callable:
                return callable.QualifiedName;
            case HashSet<object>:
                return value;
        }
        if (!visited.Add(value))
        {
            return value;
        }
        switch (value)
        {
            case Dictionary<string, object?> dict:
                foreach (var key in dict.Keys.ToList())
                {
                    dict[key] = Visit(dict[key], context, visited, depth + 1);
                }
                return dict;
            case List<object?> list:
                for (int i = 0; i < list.Count; i++)
                {
                    list[i] = Visit(list[i], context, visited, depth + 1);
                }
                return list;
            case object?[] tuple:
                for (int i = 0; i < tuple.Length; i++)
                {
                    tuple[i] = Visit(tuple[i], context, visited, depth + 1);
                }
                return tuple;
            case PickledObject { State: Dictionary<string, object?> state } record:
                Visit(state, context, visited, depth + 1);
                return record;
            default:
                throw context.Fail($"internal: unexpected {value.GetType().Name} in the object graph");
        }
    }
}
