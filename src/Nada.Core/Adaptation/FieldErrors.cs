namespace Nada.Core.Adaptation;

/// <summary>
/// Problems of a request, one message per field, keyed by the field's path in the request ("SourceText",
/// "Options.BatchSize", "" for the request as a whole). The first message of a field wins.
/// </summary>
public sealed class FieldErrors : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="message"/> for <paramref name="field"/> unless the field has one already.</summary>
    public void Add(string field, string message) => _errors.TryAdd(field, message);

    /// <summary>Records every error of <paramref name="other"/>, its field names prefixed with <paramref name="prefix"/>.</summary>
    public void AddAll(FieldErrors other, string prefix = "")
    {
        foreach (var (k, v) in other) Add(prefix + k, v);
    }

    /// <summary>True when there is no error.</summary>
    public bool IsValid => _errors.Count == 0;

    /// <summary>Throws <see cref="RequestValidationException"/> carrying every error, unless there is none.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid) throw new RequestValidationException(this);
    }

    /// <inheritdoc />
    public string this[string key] => _errors[key];
    /// <inheritdoc />
    public IEnumerable<string> Keys => _errors.Keys;
    /// <inheritdoc />
    public IEnumerable<string> Values => _errors.Values;
    /// <inheritdoc />
    public int Count => _errors.Count;
    /// <inheritdoc />
    public bool ContainsKey(string key) => _errors.ContainsKey(key);
    /// <inheritdoc />
    public bool TryGetValue(string key, out string value) => _errors.TryGetValue(key, out value!);
    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _errors.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A request broke the rules; <see cref="Errors"/> says where. Its message is the first error (for one-line CLI output).</summary>
public sealed class RequestValidationException(FieldErrors errors)
    : ArgumentException(errors.Count == 1 ? errors.Values.First() : string.Join(" ", errors.Values))
{
    /// <summary>Every problem, keyed by field.</summary>
    public FieldErrors Errors { get; } = errors;
}
