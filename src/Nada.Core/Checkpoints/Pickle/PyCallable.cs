namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// An allowed Python global as the unpickler sees it: something REDUCE / NEWOBJ may call. Each subclass
/// builds plain data from its arguments and checks them; nothing is looked up by name at run time.
/// </summary>
internal abstract class PyCallable(string module, string name)
{
    public string Module { get; } = module;
    public string Name { get; } = name;
    public string QualifiedName => Module + "." + Name;

    /// <summary>REDUCE: <c>global(*args)</c>.</summary>
    public virtual object? Call(PickleContext context, object?[] args) =>
        throw context.Fail($"the pickle calls {QualifiedName}, which is allowed only as a value, not as a function");

    /// <summary>NEWOBJ: <c>cls.__new__(cls, *args)</c>.</summary>
    public virtual object? New(PickleContext context, object?[] args) => Call(context, args);

    /// <summary>An <see cref="ArgumentException"/>-like failure for unexpected arguments.</summary>
    protected CheckpointException BadArguments(PickleContext context, object?[] args) =>
        context.Fail($"{QualifiedName} was called with unexpected arguments ({PyRepr.Describe(args)})");

    public override string ToString() => QualifiedName;
}

/// <summary>An object that accepts BUILD (Python <c>__setstate__</c>).</summary>
internal interface IPyStateful
{
    void SetState(PickleContext context, object? state);
}

/// <summary>Short type descriptions for error messages (never the values themselves).</summary>
internal static class PyRepr
{
    public static string Describe(object?[] args) => string.Join(", ", args.Select(Describe));

    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => s.Length <= 40 ? $"'{s}'" : "str",
        long or int => value.ToString()!,
        bool b => b ? "True" : "False",
        double => "float",
        byte[] b => $"bytes[{b.Length}]",
        object?[] t => $"tuple[{t.Length}]",
        List<object?> l => $"list[{l.Count}]",
        Dictionary<string, object?> => "dict",
        PyCallable c => c.QualifiedName,
        _ => value.GetType().Name,
    };
}
