using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// What one unpickling run may do and where it reports: the file named in errors, how persistent ids
/// become storages, and the intermediate tensors (whole storages) to release once the graph is built.
/// Nested runs (<c>torch.storage._load_from_bytes</c>) share the file name, the intermediates and the memory budget.
/// </summary>
internal sealed class PickleContext
{
    private readonly Func<PickleContext, object?, object?>? _persistentLoad;

    public PickleContext(string path, ReadBudget? budget = null, string? part = null, Func<PickleContext, object?, object?>? persistentLoad = null)
        : this(path, part, persistentLoad, new List<Tensor>(), 0, budget ?? new ReadBudget(path, ReadLimits.Default, 0))
    {
    }

    private PickleContext(string path, string? part, Func<PickleContext, object?, object?>? persistentLoad,
        List<Tensor> intermediates, int depth, ReadBudget budget)
    {
        Path = path;
        Part = part;
        _persistentLoad = persistentLoad;
        Intermediates = intermediates;
        Depth = depth;
        Budget = budget;
    }

    /// <summary>What this read of the file may still allocate (shared by nested runs).</summary>
    public ReadBudget Budget { get; }

    /// <summary>The limits of this read.</summary>
    public ReadLimits Limits => Budget.Limits;

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
        return new PickleContext(Path, part, persistentLoad, Intermediates, Depth + 1, Budget);
    }

    public object? PersistentLoad(object? pid)
    {
        if (_persistentLoad is null)
        {
            throw Fail("the pickle refers to external data (a persistent id) but this kind of file has none");
        }
        return _persistentLoad(this, pid);
    }

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="what"/> to the budget, or refuses naming this part of the file.</summary>
    public void Charge(long bytes, string what) => Budget.Charge(bytes, what, Part);

    /// <summary>Charges one tensor of <paramref name="bytes"/> to the budget, or refuses naming this part of the file.</summary>
    public void ChargeTensor(long bytes, string what) => Budget.ChargeTensor(bytes, what, Part);

    public CheckpointException Fail(string problem, string? advice = null, Exception? inner = null) =>
        new(Path, Part is null ? problem : $"{Part}: {problem}", advice, inner);
}
