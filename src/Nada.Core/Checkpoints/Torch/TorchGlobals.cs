using Nada.Core.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary><c>torch.FloatStorage</c> etc.: a value naming a storage dtype inside persistent ids.</summary>
internal sealed class StorageType(string module, string name, ScalarType dtype) : PyCallable(module, name)
{
    public ScalarType DType { get; } = dtype;
}

/// <summary><c>torch.float32</c> etc. as a pickled value.</summary>
internal sealed class DtypeMarker(string module, string name, ScalarType dtype) : PyCallable(module, name)
{
    public ScalarType DType { get; } = dtype;
}

/// <summary>
/// <c>torch._utils._rebuild_tensor</c> (v1: storage, offset, size, stride), <c>_rebuild_tensor_v2</c>
/// (+ requires_grad, backward_hooks[, metadata]) and <c>_rebuild_tensor_v3</c> (+ dtype[, metadata]).
/// </summary>
internal sealed class RebuildTensor(string module, string name, int version) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args)
    {
        int min = version switch { 1 => 4, 2 => 6, _ => 7 };
        if (args.Length < min || args.Length > min + 1 || args[0] is not TorchStorage storage || args[1] is not long offset
            || !TryLongs(args[2], out var size) || !TryLongs(args[3], out var stride))
        {
            throw BadArguments(context, args);
        }
        if (version >= 2 && (args[4] is not bool || args[5] is not (null or Dictionary<string, object?>)))
        {
            throw BadArguments(context, args);
        }
        if (version == 3 && (args[6] is not DtypeMarker dtype || dtype.DType != storage.DType))
        {
            throw context.Fail($"{QualifiedName} reinterprets a storage as another dtype, which this reader does not support");
        }
        return new PendingTensor(context, storage, offset, size, stride);
    }

    internal static bool TryLongs(object? value, out long[] result)
    {
        result = [];
        if (value is not object?[] tuple || tuple.Any(v => v is not long))
        {
            return false;
        }
        result = tuple.Select(v => (long)v!).ToArray();
        return true;
    }
}

/// <summary><c>_rebuild_parameter(data, requires_grad, hooks[, state])</c>: the tensor itself.</summary>
internal sealed class RebuildParameter(string module, string name, int argCount) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args) =>
        args.Length == argCount && args[0] is PendingTensor && args[1] is bool ? args[0] : throw BadArguments(context, args);
}

/// <summary><c>torch._tensor._rebuild_from_type_v2(func, type, args, state)</c>: <c>func(*args)</c> when both are allowed.</summary>
internal sealed class RebuildFromType() : PyCallable("torch._tensor", "_rebuild_from_type_v2")
{
    public override object? Call(PickleContext context, object?[] args)
    {
        if (args.Length != 4 || args[0] is not (RebuildTensor or RebuildParameter) || args[1] is not TypeMarker
            || args[2] is not object?[] inner || args[3] is not (null or Dictionary<string, object?>))
        {
            throw BadArguments(context, args);
        }
        return ((PyCallable)args[0]!).Call(context, inner);
    }
}

/// <summary><c>torch.Size(tuple)</c>: a tuple of ints.</summary>
internal sealed class TorchSize() : PyCallable("torch", "Size")
{
    public override object? Call(PickleContext context, object?[] args) =>
        args is [object?[] dims] && dims.All(d => d is long) ? dims.ToArray() : throw BadArguments(context, args);
}

/// <summary><c>torch.device(type[, index])</c>: its string form ("cpu", "cuda:0").</summary>
internal sealed class TorchDevice() : PyCallable("torch", "device")
{
    public override object? Call(PickleContext context, object?[] args) => args switch
    {
        [string type] => type,
        [string type, long index] => $"{type}:{index}",
        [string type, null] => type,
        _ => throw BadArguments(context, args),
    };
}

/// <summary>
/// <c>torch.storage._load_from_bytes(b)</c>: a torch.save archive nested in a pickle (how NVIDIA pickles carry
/// tensors). Read with this reader's own torch file code and the same allow-list, never with Python.
/// </summary>
internal sealed class LoadFromBytes() : PyCallable("torch.storage", "_load_from_bytes")
{
    public override object? Call(PickleContext context, object?[] args) =>
        args is [byte[] bytes] ? TorchFile.ReadNested(bytes, context) : throw BadArguments(context, args);
}

/// <summary>
/// NVIDIA's <c>torch_utils.persistence._reconstruct_persistent_obj(meta)</c>: kept as a
/// <see cref="PickledObject"/> of the meta's class name and state. The meta's <c>module_src</c> is never read.
/// </summary>
internal sealed class PersistentObject() : PyCallable("torch_utils.persistence", "_reconstruct_persistent_obj")
{
    public override object? Call(PickleContext context, object?[] args)
    {
        if (args is not [Dictionary<string, object?> meta] || !meta.TryGetValue("class_name", out var className)
            || className is not string name || !meta.TryGetValue("state", out var state))
        {
            throw BadArguments(context, args);
        }
        if (meta.TryGetValue("type", out var type) && type is not "class")
        {
            throw context.Fail($"NVIDIA persistent record of type '{type}' is not supported (only classes)");
        }
        var attributes = state as Dictionary<string, object?> ?? new Dictionary<string, object?> { ["__state__"] = state };
        return new PickledObject(Module, name, attributes);
    }
}
