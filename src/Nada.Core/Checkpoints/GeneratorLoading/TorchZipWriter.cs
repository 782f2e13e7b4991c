using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.GeneratorLoading;

/// <summary>
/// Writes a <c>torch.save</c> zip archive (format version 3) holding a dict of string keys whose values are
/// tensors or ordered dicts of tensors: <c>ROOT/data.pkl</c> (pickle protocol 2 that rebuilds every tensor
/// with <c>torch._utils._rebuild_tensor_v2</c> from a persistent storage id), <c>ROOT/byteorder</c>
/// ("little"), one raw little-endian storage per tensor under <c>ROOT/data/KEY</c>, and <c>ROOT/version</c>.
/// Entries are stored uncompressed, as PyTorch requires. Only the pickle opcodes needed for this are emitted.
/// </summary>
public static class TorchZipWriter
{
    private static readonly Dictionary<ScalarType, string> StorageNames = new()
    {
        [ScalarType.Float32] = "FloatStorage",
        [ScalarType.Float64] = "DoubleStorage",
        [ScalarType.Float16] = "HalfStorage",
        [ScalarType.Int64] = "LongStorage",
        [ScalarType.Int32] = "IntStorage",
    };

    /// <summary>Writes <paramref name="content"/>: values are tensors or <c>IReadOnlyDictionary&lt;string, Tensor&gt;</c> (pickled as OrderedDict).</summary>
    public static void Save(string path, IReadOnlyList<(string Key, object Value)> content)
    {
        string root = SafeRoot(Path.GetFileNameWithoutExtension(path));
        var storages = new List<Tensor>();
        var pkl = new PickleEmitter();
        pkl.Proto();
        pkl.EmptyDict();
        pkl.Mark();
        foreach (var (key, value) in content)
        {
            pkl.Unicode(key);
            switch (value)
            {
                case Tensor t:
                    WriteTensor(pkl, t, storages);
                    break;
                case IReadOnlyDictionary<string, Tensor> dict:
                    pkl.Global("collections", "OrderedDict");
                    pkl.EmptyTuple();
                    pkl.Reduce();
                    if (dict.Count > 0)
                    {
                        pkl.Mark();
                        foreach (var (k, t) in dict)
                        {
                            pkl.Unicode(k);
                            WriteTensor(pkl, t, storages);
                        }
                        pkl.SetItems();
                    }
                    break;
                default:
                    throw new ArgumentException($"Cannot write a {value.GetType().Name} under '{key}'.");
            }
        }
        pkl.SetItems();
        pkl.Stop();

        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        using (var zip = new ZipArchive(fs, ZipArchiveMode.Create))
        {
            Entry(zip, root + "/data.pkl", pkl.ToArray());
            Entry(zip, root + "/byteorder", Encoding.ASCII.GetBytes("little"));
            for (int i = 0; i < storages.Count; i++)
            {
                using var scope = NewDisposeScope();
                var t = storages[i].detach().cpu().contiguous();
                Entry(zip, $"{root}/data/{i}", Bytes(t));
            }
            Entry(zip, root + "/version", Encoding.ASCII.GetBytes("3\n"));
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteTensor(PickleEmitter pkl, Tensor t, List<Tensor> storages)
    {
        if (!StorageNames.TryGetValue(t.dtype, out var storage))
            throw new ArgumentException($"Cannot write tensors of dtype {t.dtype}.");
        int key = storages.Count;
        storages.Add(t);
        long numel = t.numel();
        pkl.Global("torch._utils", "_rebuild_tensor_v2");
        pkl.Mark();
        {
            // Persistent id: ('storage', torch.FloatStorage, key, location, numel)
            pkl.Mark();
            pkl.Unicode("storage");
            pkl.Global("torch", storage);
            pkl.Unicode(key.ToString(System.Globalization.CultureInfo.InvariantCulture));
            pkl.Unicode("cpu");
            pkl.Int(numel);
            pkl.Tuple();
            pkl.BinPersId();
            pkl.Int(0);                                   // storage offset
            pkl.Mark();
            foreach (var d in t.shape) pkl.Int(d);
            pkl.Tuple();                                  // size
            pkl.Mark();
            long stride = 1;
            var strides = new long[t.shape.Length];       // contiguous strides (the storage is written contiguous)
            for (int i = t.shape.Length - 1; i >= 0; i--)
            {
                strides[i] = stride;
                stride *= t.shape[i];
            }
            foreach (var s in strides) pkl.Int(s);
            pkl.Tuple();                                  // stride
            pkl.False();                                  // requires_grad
            pkl.Global("collections", "OrderedDict");
            pkl.EmptyTuple();
            pkl.Reduce();                                 // backward_hooks
        }
        pkl.Tuple();
        pkl.Reduce();
    }

    private static byte[] Bytes(Tensor t)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        return t.dtype switch
        {
            ScalarType.Float32 => Raw(t.data<float>().ToArray()),
            ScalarType.Float64 => Raw(t.data<double>().ToArray()),
            ScalarType.Float16 => Raw(t.data<Half>().ToArray()),
            ScalarType.Int64 => Raw(t.data<long>().ToArray()),
            ScalarType.Int32 => Raw(t.data<int>().ToArray()),
            _ => throw new ArgumentException($"Cannot write tensors of dtype {t.dtype}."),
        };
    }

    private static byte[] Raw<T>(T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static void Entry(ZipArchive zip, string name, byte[] data)
    {
        var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = e.Open();
        s.Write(data);
    }

    private static string SafeRoot(string stem)
    {
        var cleaned = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-' ? c : '_').ToArray());
        return cleaned.Length == 0 ? "archive" : cleaned;
    }

    /// <summary>The few pickle opcodes (protocol 2) the writer needs.</summary>
    private sealed class PickleEmitter
    {
        private readonly MemoryStream _s = new();

        public void Proto() { _s.WriteByte(0x80); _s.WriteByte(2); }
        public void EmptyDict() => _s.WriteByte((byte)'}');
        public void EmptyTuple() => _s.WriteByte((byte)')');
        public void Mark() => _s.WriteByte((byte)'(');
        public void Tuple() => _s.WriteByte((byte)'t');
        public void SetItems() => _s.WriteByte((byte)'u');
        public void Reduce() => _s.WriteByte((byte)'R');
        public void BinPersId() => _s.WriteByte((byte)'Q');
        public void False() => _s.WriteByte(0x89);
        public void Stop() => _s.WriteByte((byte)'.');

        public void Global(string module, string name)
        {
            _s.WriteByte((byte)'c');
            _s.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        }

        public void Unicode(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            _s.WriteByte((byte)'X');
            _s.Write(BitConverter.GetBytes((uint)bytes.Length));
            _s.Write(bytes);
        }

        public void Int(long v)
        {
            if (v >= int.MinValue && v <= int.MaxValue)
            {
                _s.WriteByte((byte)'J');                  // BININT: 4-byte signed
                _s.Write(BitConverter.GetBytes((int)v));
            }
            else
            {
                _s.WriteByte(0x8a);                       // LONG1: n-byte two's complement
                _s.WriteByte(8);
                _s.Write(BitConverter.GetBytes(v));
            }
        }

        public byte[] ToArray() => _s.ToArray();
    }
}
