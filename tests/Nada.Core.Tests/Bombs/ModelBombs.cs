using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Nada.Core.Tests.Checkpoints;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// Checkpoint files built to exhaust a reader's memory: each is small on disk and, read naively, asks for
/// hundreds of megabytes to gigabytes. Every bomb is real (its compressed data really inflates to what it
/// claims), so a reader that trusts it pays the full price. Built once per test process (see <see cref="BombFolder"/>).
/// </summary>
internal static class ModelBombs
{
    /// <summary>Every model bomb, by name: what it is.</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["zip-pickle-deflate"] = "torch zip whose data.pkl is 1 GiB of zeros deflated to ~1 MiB",
        ["zip-storage-deflate"] = "torch zip with 3 tensors on storages of 400 MB of zeros each, deflated",
        ["zip-many-entries"] = "torch zip with 400 tensors on 1 MiB storages of deflated zeros (many small entries summing to 400 MiB)",
        ["zip-view-expand"] = "torch zip with a 1-float storage and two [16384, 12288] views of stride 0 (805 MB each when made contiguous)",
        ["legacy-view-expand"] = "legacy torch.save with a 1-float storage and two [16384, 12288] views of stride 0",
        ["nvidia-nested"] = "NVIDIA-style pickle whose torch.storage._load_from_bytes archive holds a 400 MB storage of deflated zeros",
        ["numpy-shared-bytes"] = "TF-style pickle: 200 numpy arrays built from one memoised 4 MiB bytes object (800 MiB of tensors)",
        ["pickle-memo"] = "8 MiB pickle that memoises 2.8 million empty lists",
        ["pickle-list-append"] = "8 MiB pickle that appends 4 million empty lists to one list",
        ["safetensors-overlap"] = "64 MiB safetensors whose 16 tensors all claim the same 64 MiB byte range",
        ["torchscript-code"] = "TorchScript archive with 10 code/*.py entries of 60 MB of deflated zeros each",
        ["nvidia-module-dag"] = "NVIDIA-style pickle whose G_ema module tree has 22 levels that each name the next module twice (4 million paths)",
        ["nvidia-cycle"] = "NVIDIA-style pickle whose G_ema module lists itself among its sub-modules",
        ["tf-cycle"] = "TF-style pickle whose Gs network lists itself among its components",
    };

    /// <summary>What a refusal says for bombs that break no limit but are refused for what they are.</summary>
    public static readonly IReadOnlyDictionary<string, string> NonLimitRefusals = new Dictionary<string, string>
    {
        ["safetensors-overlap"] = "share bytes",
        ["nvidia-module-dag"] = "reaches more than 100000 objects",
        ["nvidia-cycle"] = "contains itself",
        ["tf-cycle"] = "contains itself",
    };

    /// <summary>Writes bomb <paramref name="name"/> to <paramref name="path"/>.</summary>
    public static void Write(string name, string path)
    {
        switch (name)
        {
            case "zip-pickle-deflate":
                WriteZip(path, zip =>
                {
                    AddZeros(zip, "archive/data.pkl", 1L << 30);
                    AddBytes(zip, "archive/version", "3\n"u8.ToArray());
                });
                break;
            case "zip-storage-deflate":
                WriteTensorZip(path, count: 3, numel: 100_000_000, deflatedZeros: true);
                break;
            case "zip-many-entries":
                WriteTensorZip(path, count: 400, numel: 1 << 18, deflatedZeros: true);
                break;
            case "zip-view-expand":
                WriteZip(path, zip =>
                {
                    AddBytes(zip, "archive/data.pkl", ExpandingViews(legacy: false));
                    AddBytes(zip, "archive/data/0", new byte[4]);
                    AddBytes(zip, "archive/version", "3\n"u8.ToArray());
                });
                break;
            case "legacy-view-expand":
                {
                    var keys = new PickleBytes(2).EmptyList().Mark().Str("0").Appends().Stop().ToArray();
                    var numel = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(numel, 1);
                    File.WriteAllBytes(path, MaliciousPickleTests.LegacyTorchSave(ExpandingViews(legacy: true), keys, [numel, new byte[4]]));
                    break;
                }
            case "nvidia-nested":
                File.WriteAllBytes(path, NvidiaNested());
                break;
            case "numpy-shared-bytes":
                File.WriteAllBytes(path, NumpySharedBytes(arrays: 200, bytes: 4 << 20));
                break;
            case "pickle-memo":
                File.WriteAllBytes(path, Repeated(header: [0x80, 4], unit: [(byte)']', 0x94, (byte)'0'], count: 2_800_000, tail: [(byte)'}', (byte)'.']));
                break;
            case "pickle-list-append":
                File.WriteAllBytes(path, Repeated(header: [0x80, 2, (byte)']'], unit: [(byte)']', (byte)'a'], count: 4_000_000, tail: [(byte)'.']));
                break;
            case "safetensors-overlap":
                WriteOverlappingSafeTensors(path, tensors: 16, bytes: 64L << 20);
                break;
            case "torchscript-code":
                WriteZip(path, zip =>
                {
                    AddBytes(zip, "archive/data.pkl", new PickleBytes(2).Global("__torch__", "Model").EmptyTuple().Reduce().Stop().ToArray());
                    for (int i = 0; i < 10; i++) AddZeros(zip, $"archive/code/__torch__/m{i}.py", 60_000_000);
                    AddBytes(zip, "archive/constants.pkl", new PickleBytes(2).EmptyTuple().Stop().ToArray());
                    AddBytes(zip, "archive/version", "3\n"u8.ToArray());
                });
                break;
            case "nvidia-module-dag":
                File.WriteAllBytes(path, NvidiaModuleDag(levels: 22));
                break;
            case "nvidia-cycle":
                File.WriteAllBytes(path, NvidiaCycle());
                break;
            case "tf-cycle":
                File.WriteAllBytes(path, new PickleBytes(2)
                    .Global("dnnlib.tflib.network", "Network").EmptyTuple().Reduce().Op((byte)'q').Op(1)
                    .EmptyDict()
                    .Str("variables").EmptyList().SetItem()
                    .Str("static_kwargs").EmptyDict().SetItem()
                    .Str("components").EmptyDict().Str("self").Op((byte)'h').Op(1).SetItem().SetItem()
                    .Build().Stop().ToArray());
                break;
            default:
                throw new ArgumentException($"no model bomb '{name}'", nameof(name));
        }
    }

    /// <summary>A dict {"a": view, "b": view} of two [16384, 12288] stride-0 views of storage "0" (1 float).</summary>
    private static byte[] ExpandingViews(bool legacy) =>
        new PickleBytes(2).EmptyDict()
            .Str("a").TorchTensor("FloatStorage", "0", 1, 0, [16384, 12288], [0, 0], legacy).SetItem()
            .Str("b").TorchTensor("FloatStorage", "0", 1, 0, [16384, 12288], [0, 0], legacy).SetItem()
            .Stop().ToArray();

    /// <summary>
    /// NVIDIA's <c>_reconstruct_persistent_obj({"type": "class", "class_name": ..., "state": {_parameters, _buffers,
    /// _modules}})</c>, with <paramref name="modules"/> writing the items of <c>_modules</c> (key, value pairs).
    /// </summary>
    private static PickleBytes Module(PickleBytes p, string className, Action<PickleBytes> modules)
    {
        p.Global("torch_utils.persistence", "_reconstruct_persistent_obj").Mark().EmptyDict()
            .Str("type").Str("class").SetItem()
            .Str("class_name").Str(className).SetItem()
            .Str("state").EmptyDict()
            .Str("_parameters").EmptyDict().SetItem()
            .Str("_buffers").EmptyDict().SetItem()
            .Str("_modules").EmptyDict().Mark();
        modules(p);
        return p.SetItems().SetItem().SetItem().Tuple().Reduce();
    }

    private static byte[] NvidiaModuleDag(int levels)
    {
        // Bottom-up: module k (memo k) has sub-modules "a" and "b", both module k+1.
        var p = new PickleBytes(2);
        Module(p, "Leaf", _ => { }).Op((byte)'q').Op((byte)levels).Op((byte)'0');
        for (int k = levels - 1; k >= 0; k--)
        {
            int next = k + 1;
            Module(p, "Block", m => m.Str("a").Op((byte)'h').Op((byte)next).Str("b").Op((byte)'h').Op((byte)next))
                .Op((byte)'q').Op((byte)k).Op((byte)'0');
        }
        return p.EmptyDict().Str("G_ema").Op((byte)'h').Op(0).SetItem().Stop().ToArray();
    }

    private static byte[] NvidiaCycle()
    {
        // G_ema's _modules dict is memoised (1) while it is built, G_ema itself (2) after; then _modules["self"] = G_ema.
        var p = new PickleBytes(2).EmptyDict().Str("G_ema")
            .Global("torch_utils.persistence", "_reconstruct_persistent_obj").Mark().EmptyDict()
            .Str("type").Str("class").SetItem()
            .Str("class_name").Str("Generator").SetItem()
            .Str("state").EmptyDict()
            .Str("_parameters").EmptyDict().SetItem()
            .Str("_buffers").EmptyDict().SetItem()
            .Str("_modules").EmptyDict().Op((byte)'q').Op(1).SetItem()
            .SetItem().Tuple().Reduce().Op((byte)'q').Op(2)
            .SetItem()
            .Op((byte)'h').Op(1).Str("self").Op((byte)'h').Op(2).SetItem().Op((byte)'0');
        return p.Stop().ToArray();
    }

    private static void WriteTensorZip(string path, int count, long numel, bool deflatedZeros)
    {
        var pkl = new PickleBytes(2).EmptyDict();
        for (int i = 0; i < count; i++)
        {
            pkl.Str($"t{i}").TorchTensor("FloatStorage", i.ToString(), numel, 0, [numel], [1]).SetItem();
        }
        WriteZip(path, zip =>
        {
            AddBytes(zip, "archive/data.pkl", pkl.Stop().ToArray());
            for (int i = 0; i < count; i++)
            {
                if (deflatedZeros) AddZeros(zip, $"archive/data/{i}", numel * 4);
                else AddBytes(zip, $"archive/data/{i}", new byte[numel * 4]);
            }
            AddBytes(zip, "archive/version", "3\n"u8.ToArray());
        });
    }

    private static byte[] NvidiaNested()
    {
        // What torch.save(storage) writes: data.pkl is one persistent id; the storage bytes are deflated zeros.
        const long numel = 100_000_000;
        var nestedPkl = new PickleBytes(2).Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(numel)
            .Tuple().BinPersId().Stop().ToArray();
        using var nested = new MemoryStream();
        using (var zip = new ZipArchive(nested, ZipArchiveMode.Create, leaveOpen: true))
        {
            AddBytes(zip, "archive/data.pkl", nestedPkl);
            AddZeros(zip, "archive/data/0", numel * 4);
            AddBytes(zip, "archive/version", "3\n"u8.ToArray());
        }
        return new PickleBytes(2).EmptyDict()
            .Str("G_ema").Global("torch.storage", "_load_from_bytes").Mark().Bytes(nested.ToArray()).Tuple().Reduce().SetItem()
            .Stop().ToArray();
    }

    private static byte[] NumpySharedBytes(int arrays, int bytes)
    {
        var p = new PickleBytes(2).EmptyList().Mark();
        for (int i = 0; i < arrays; i++)
        {
            p.Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").IntTuple(0).Bytes("b"u8.ToArray()).Op(0x87).Reduce()
                .Mark().Int(1).IntTuple(bytes / 4)
                .Global("numpy", "dtype").Str("f4").Bool(false).Bool(true).Op(0x87).Reduce()
                .Mark().Int(3).Str("<").None().None().None().Int(-1).Int(-1).Int(0).Tuple().Build()
                .Bool(false);
            if (i == 0) p.Bytes(new byte[bytes]).Op((byte)'q').Op(1);      // BINPUT 1
            else p.Op((byte)'h').Op(1);                                      // BINGET 1: the same bytes object
            p.Tuple().Build();
        }
        return p.Appends().Stop().ToArray();
    }

    private static byte[] Repeated(byte[] header, byte[] unit, int count, byte[] tail)
    {
        var bytes = new byte[header.Length + unit.Length * (long)count + tail.Length];
        header.CopyTo(bytes, 0);
        for (int i = 0; i < count; i++) unit.CopyTo(bytes, header.Length + i * unit.Length);
        tail.CopyTo(bytes, bytes.Length - tail.Length);
        return bytes;
    }

    private static void WriteOverlappingSafeTensors(string path, int tensors, long bytes)
    {
        var entries = Enumerable.Range(0, tensors).Select(i =>
            $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[{bytes / 4}],\"data_offsets\":[0,{bytes}]}}");
        var json = Encoding.UTF8.GetBytes("{" + string.Join(",", entries) + "}");
        using var fs = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        fs.Write(length);
        fs.Write(json);
        fs.SetLength(8 + json.Length + bytes);                               // zeros (sparse on most file systems)
    }

    // ------------------------------------------------------------------ zip helpers

    public static void WriteZip(string path, Action<ZipArchive> fill)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        fill(zip);
    }

    /// <summary>An entry of <paramref name="count"/> zero bytes, deflated at the smallest size (about 1000:1).</summary>
    public static void AddZeros(ZipArchive zip, string name, long count)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.SmallestSize);
        using var stream = entry.Open();
        var zeros = new byte[1 << 20];
        for (long left = count; left > 0; left -= zeros.Length)
        {
            stream.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
        }
    }

    public static void AddBytes(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var stream = entry.Open();
        stream.Write(content);
    }
}
