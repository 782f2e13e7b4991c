using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// What one unpickling run may do and where it reports: the file named in errors, how persistent ids
/// become storages, and the intermediate tensors (whole storages) to release once the graph is built.
/// Nested runs (<c>torch.storage._load_from_bytes</c>) share the file name and the intermediates.
/// </summary>
internal sealed class PickleContext
{
    private readonly Func<PickleContext, object?, object?>? _persistentLoad;

    public PickleContext(string path, string? part = null, Func<PickleContext, object?, object?>? persistentLoad = null)
        : this(path, part, persistentLoad, new List<Tensor>(), 0)
    {
    }

    private PickleContext(string path, string? part, Func<PickleContext, object?, object?>? persistentLoad,
        List<Tensor> intermediates, int depth)
    {
        Path = path;
        Part = part;
        _persistentLoad = persistentLoad;
        Intermediates = intermediates;
        Depth = depth;
    }

    /// <summary>The file named in every error.</summary>
    public string Path { get; }

    /// <summary>Where the bytes being read sit inside the file (e.g. "archive/data.pkl"), for messages.</summary>
    public string? Part { get; }

    /// <summary>Nesting level of torch.save archives inside pickles.</summary>
    public int Depth { get; }

    /// <summary>Whole-storage tensors made while finishing the graph; disposed by the reader at the end.</summary>
    public List<Tensor> Intermediates { get; }

    /// <summary>A context for a pickle nested in this one (same file, same intermediates).</summary>
    public PickleContext Nested(string part, Func<PickleContext, object?, object?>? persistentLoad)
    {
        if (Depth >= 8)
        {
            throw Fail("torch.save archives are nested too deeply");
        }
        return new PickleContext(Path, part, persistentLoad, Intermediates, Depth + 1);
    }

    public object? PersistentLoad(object? pid)
    {
        if (_persistentLoad is null)
        {
            throw Fail("the pickle refers to external data (a persistent id) but this kind of file has none");
        }
        return _persistentLoad(this, pid);
    }

    public CheckpointException Fail(string problem, string? advice = null, Exception? inner = null) =>
        new(Path, Part is null ? problem : $"{Part}: {problem}", advice, inner);
}
