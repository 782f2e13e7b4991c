using System.Text;
using Nada.Core.Checkpoints.Pickle;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// A PyTorch zip archive (torch.save since 1.6, and TorchScript): <c>&lt;root&gt;/data.pkl</c> plus raw storages
/// under <c>&lt;root&gt;/data/&lt;key&gt;</c>, optional <c>byteorder</c>. Storage bytes are read once each, when a
/// tensor first needs them, straight into the tensor, so the archive must stay open until the graph is finished.
/// A storage's claimed size (element count x element size) is checked against its entry and the limits while the
/// pickle is read, before any storage is.
/// </summary>
internal sealed class TorchZipFile
{
    private const long MaxByteorderBytes = 64;

    private readonly GuardedZip _zip;
    private readonly PickleContext _parent;
    private readonly bool _bigEndian;

    private TorchZipFile(GuardedZip zip, PickleContext parent, string root)
    {
        _zip = zip;
        _parent = parent;
        Root = root;
        var byteorder = zip.GetEntry(root + "byteorder");
        if (byteorder is not null)
        {
            var text = Encoding.ASCII.GetString(GuardedZip.ReadAll(byteorder, "byteorder entry", MaxByteorderBytes, "the byteorder entry's size", parent)).Trim();
            _bigEndian = text switch
            {
                "little" => false,
                "big" => true,
                _ => throw parent.Fail($"unknown byteorder '{text}' in the archive"),
            };
        }
    }

    /// <summary>The folder prefix of every entry ("name/"), or "" for a flat archive.</summary>
    public string Root { get; }

    /// <summary>Opens <paramref name="zip"/> as a torch archive, or fails naming the file.</summary>
    public static TorchZipFile Open(GuardedZip zip, PickleContext parent)
    {
        var dataPkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                                                      && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length)
                      ?? zip.GetEntry("data.pkl");
        if (dataPkl is null)
        {
            throw parent.Fail("this is a zip archive but not a PyTorch checkpoint (it has no data.pkl)",
                "Choose the .pt / .pth / .pkl checkpoint itself, not an archive that contains it");
        }
        var root = dataPkl.FullName[..^"data.pkl".Length];
        return new TorchZipFile(zip, parent, root);
    }

    public bool Has(string name) => _zip.GetEntry(Root + name) is not null;

    /// <summary>Unpickles <c>root/pickleName</c>, storages taken from <c>root/storageFolder/key</c>.</summary>
    public object? ReadPickle(string pickleName = "data.pkl", string storageFolder = "data")
    {
        var entry = _zip.GetEntry(Root + pickleName)
                    ?? throw _parent.Fail($"the archive has no {pickleName}");
        var storages = new Dictionary<string, TorchStorage>();
        var part = _parent.Part is null ? entry.FullName : $"{_parent.Part} > {entry.FullName}";
        var context = _parent.Nested(part, (c, pid) => LoadStorage(c, pid, storageFolder, storages));
        var bytes = GuardedZip.ReadAll(entry, "pickle", _parent.Limits.MaxPickleBytes, "ReadLimits.MaxPickleBytes", _parent);
        return PickleMachine.Load(bytes, context);
    }

    private object LoadStorage(PickleContext context, object? pid, string folder, Dictionary<string, TorchStorage> storages)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not StorageType type
            || t[2] is not string key || t[3] is not string || t[4] is not long numel || numel < 0 || !IsSafeKey(key))
        {
            throw context.Fail($"unexpected persistent id ({(pid is object?[] a ? PyRepr.Describe(a) : PyRepr.Describe(pid))})");
        }
        if (storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != type.DType)
            {
                throw context.Fail($"storage '{key}' is used with two dtypes, which this reader does not support");
            }
            return existing;
        }
        var name = $"{Root}{folder}/{key}";
        var entry = _zip.GetEntry(name)
                    ?? throw context.Fail($"storage entry '{name}' is missing from the archive", "The file is truncated or corrupt");
        long bytes = TorchStorage.ByteCount(context, key, numel, type.DType);
        if (bytes > context.Limits.MaxTensorBytes)
        {
            throw context.Fail($"storage '{key}' claims {ReadBudget.Size(bytes)}, more than one tensor may have (ReadLimits.MaxTensorBytes = {ReadBudget.Size(context.Limits.MaxTensorBytes)})",
                ReadBudget.OverLimitAdvice);
        }
        if (entry.Length < bytes)
        {
            throw context.Fail($"storage '{key}' holds {ReadBudget.Size(entry.Length)} but needs {ReadBudget.Size(bytes)} for {numel} elements",
                "The file is truncated or corrupt; download it again");
        }
        var storage = new TorchStorage(key, type.DType, numel) { Source = _parent.Part is null ? name : $"{_parent.Part} > {name}" };
        storage.SetSource(destination =>
        {
            GuardedZip.ReadInto(entry, destination, context);
            if (_bigEndian)
            {
                TorchDtypes.SwapBytes(destination, TorchDtypes.ElementSize(type.DType));
            }
        });
        storages[key] = storage;
        return storage;
    }

    private static bool IsSafeKey(string key) =>
        key.Length is > 0 and <= 128 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && key != "." && key != "..";
}
