using System.Text;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>A class that may appear as a value only (e.g. the type argument of another global).</summary>
internal sealed class TypeMarker(string module, string name) : PyCallable(module, name);

/// <summary><c>collections.OrderedDict</c> and <c>dnnlib.util.EasyDict</c>: an ordered string-keyed dict.</summary>
internal sealed class OrderedDictClass(string module, string name) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args)
    {
        var dict = new Dictionary<string, object?>();
        if (args.Length == 0)
        {
            return dict;
        }
        if (args.Length == 1 && args[0] is Dictionary<string, object?> source)
        {
            foreach (var (k, v) in source)
            {
                dict[k] = v;
            }
            return dict;
        }
        if (args.Length == 1 && args[0] is List<object?> pairs)
        {
            foreach (var pair in pairs)
            {
                if (pair is not object?[] { Length: 2 } kv || kv[0] is not string key)
                {
                    throw BadArguments(context, args);
                }
                dict[key] = kv[1];
            }
            return dict;
        }
        throw BadArguments(context, args);
    }
}

/// <summary><c>builtins.set</c> / <c>frozenset</c> (protocol 2 writes sets as a call on a list).</summary>
internal sealed class SetClass(string module, string name) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args)
    {
        var set = new HashSet<object>();
        if (args.Length == 0)
        {
            return set;
        }
        if (args.Length == 1 && args[0] is List<object?> items && items.All(i => i is string or long or bool or double))
        {
            foreach (var item in items)
            {
                set.Add(item!);
            }
            return set;
        }
        throw BadArguments(context, args);
    }
}

/// <summary><c>builtins.bytearray</c>: bytes.</summary>
internal sealed class BytearrayClass(string module, string name) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args) => args switch
    {
        [] => Array.Empty<byte>(),
        [byte[] bytes] => bytes.ToArray(),
        [string text, "latin-1" or "latin1"] => Encoding.Latin1.GetBytes(text),
        _ => throw BadArguments(context, args),
    };
}

/// <summary><c>_codecs.encode(str, 'latin1')</c>: how protocol 2 pickles carry bytes under Python 3.</summary>
internal sealed class CodecsEncode() : PyCallable("_codecs", "encode")
{
    public override object? Call(PickleContext context, object?[] args) => args switch
    {
        [string text, "latin-1" or "latin1"] when text.All(c => c <= '\u00ff') => Encoding.Latin1.GetBytes(text),
        _ => throw BadArguments(context, args),
    };
}

/// <summary>
/// A class kept as an opaque record (<see cref="PickledObject"/>): TorchScript <c>__torch__.*</c> objects and
/// the TF-era <c>dnnlib.tflib.network.Network</c>. Created empty; BUILD fills its attributes.
/// </summary>
internal sealed class RecordClass(string module, string name) : PyCallable(module, name)
{
    public override object? Call(PickleContext context, object?[] args) =>
        args.Length == 0
            ? new PickledObject(Module, Name, new Dictionary<string, object?>())
            : throw BadArguments(context, args);
}
