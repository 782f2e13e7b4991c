using Nada.Core.Checkpoints.Numpy;
using Nada.Core.Checkpoints.Torch;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// The only Python globals a checkpoint pickle may name. Anything else (<c>os.system</c>, <c>builtins.eval</c>,
/// <c>subprocess.Popen</c>, <c>builtins.getattr</c>, any unlisted class) is refused with a
/// <see cref="CheckpointException"/> that names the file and the global, before anything is built from it.
/// </summary>
internal static class AllowedGlobals
{
    private static readonly Dictionary<(string Module, string Name), PyCallable> Table = Build();

    /// <summary>The callable for <paramref name="module"/>.<paramref name="name"/>, or a refusal.</summary>
    public static PyCallable Resolve(PickleContext context, string module, string name)
    {
        if (Table.TryGetValue((module, name), out var callable))
        {
            return callable;
        }
        if ((module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal)) && IsIdentifier(name))
        {
            // TorchScript classes: opaque records of their attributes; their code is never read.
            return new RecordClass(module, name);
        }
        throw context.Fail(
            $"the pickle asks for the Python global '{Printable(module)}.{Printable(name)}', which is not on the allow-list of a safe checkpoint reader; refused, nothing was executed",
            "Use a checkpoint saved by PyTorch, NVIDIA's StyleGAN code or safetensors; if this file is one, report it");
    }

    private static Dictionary<(string, string), PyCallable> Build()
    {
        var table = new Dictionary<(string, string), PyCallable>();
        void Add(PyCallable c) => table[(c.Module, c.Name)] = c;

        // Containers and plain values.
        Add(new OrderedDictClass("collections", "OrderedDict"));
        Add(new OrderedDictClass("dnnlib.util", "EasyDict"));
        Add(new OrderedDictClass("dnnlib", "EasyDict"));
        foreach (var builtins in new[] { "builtins", "__builtin__" })
        {
            Add(new SetClass(builtins, "set"));
            Add(new SetClass(builtins, "frozenset"));
            Add(new BytearrayClass(builtins, "bytearray"));
        }
        Add(new CodecsEncode());

        // torch tensors, storages, sizes, devices, dtypes.
        Add(new RebuildTensor("torch._utils", "_rebuild_tensor", version: 1));
        Add(new RebuildTensor("torch._utils", "_rebuild_tensor_v2", version: 2));
        Add(new RebuildTensor("torch._utils", "_rebuild_tensor_v3", version: 3));
        Add(new RebuildParameter("torch._utils", "_rebuild_parameter", argCount: 3));
        Add(new RebuildParameter("torch._utils", "_rebuild_parameter_with_state", argCount: 4));
        Add(new RebuildFromType());
        Add(new TypeMarker("torch", "Tensor"));
        Add(new TypeMarker("torch.nn.parameter", "Parameter"));
        Add(new TypeMarker("torch.nn", "Parameter"));
        foreach (var (storageName, dtype) in TorchDtypes.StorageTypes)
        {
            Add(new StorageType("torch", storageName, dtype));
        }
        Add(new StorageType("torch.storage", "UntypedStorage", TorchSharp.torch.ScalarType.Byte));
        foreach (var (dtypeName, dtype) in TorchDtypes.DtypeNames)
        {
            Add(new DtypeMarker("torch", dtypeName, dtype));
        }
        Add(new TorchSize());
        Add(new TorchDevice());
        Add(new LoadFromBytes());

        // NVIDIA persistence records and TF-era networks.
        Add(new PersistentObject());
        Add(new RecordClass("dnnlib.tflib.network", "Network"));

        // numpy arrays, dtypes and scalars (both numpy.core and numpy._core spellings).
        Add(new TypeMarker("numpy", "ndarray"));
        Add(new NumpyDtypeClass());
        foreach (var core in new[] { "numpy.core.multiarray", "numpy._core.multiarray" })
        {
            Add(new NumpyReconstruct(core));
            Add(new NumpyScalar(core));
        }
        return table;
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0]);

    private static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 80 ? clean : clean[..80] + "...";
    }
}
