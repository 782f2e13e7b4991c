using Nada.Core.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>
/// Hostile pickles written byte by byte: every one names a dangerous global and would create a marker file
/// if it were executed. Reading must throw a <see cref="CheckpointException"/> naming the file and the global,
/// and the marker must not exist afterwards.
/// </summary>
public sealed class MaliciousPickleTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private readonly string _marker = Path.Combine(Path.GetTempPath(), "nada-pwned-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        File.Delete(_marker);
        _scratch.Dispose();
    }

    /// <summary>Payload name -> (global it names, pickle bytes).</summary>
    public static TheoryData<string> Payloads => new() { "posix.system", "os.system", "builtins.eval", "subprocess.Popen", "builtins.getattr", "inst:os.system", "nt.system" };

    private (string Global, byte[] Bytes) Payload(string kind)
    {
        var command = $"touch {_marker}";
        return kind switch
        {
            // protocol 2: GLOBAL posix system, REDUCE ('touch ...',)
            "posix.system" => ("posix.system", new PickleBytes(2).Global("posix", "system").Mark().Str(command).Tuple().Reduce().Stop().ToArray()),
            "nt.system" => ("nt.system", new PickleBytes(2).Global("nt", "system").Mark().Str(command).Tuple().Reduce().Stop().ToArray()),
            // protocol 4: STACK_GLOBAL os system
            "os.system" => ("os.system", new PickleBytes(4).StackGlobal("os", "system").Mark().Str(command).Tuple().Reduce().Stop().ToArray()),
            "builtins.eval" => ("builtins.eval", new PickleBytes(4).StackGlobal("builtins", "eval")
                .Mark().Str($"__import__('os').system('{command}')").Tuple().Reduce().Stop().ToArray()),
            "subprocess.Popen" => ("subprocess.Popen", new PickleBytes(4).StackGlobal("subprocess", "Popen")
                .Mark().EmptyList().Mark().Str("touch").Str(_marker).Appends().Tuple().Reduce().Stop().ToArray()),
            // getattr(os-like object, 'system') chains are the usual way around naive block-lists.
            "builtins.getattr" => ("builtins.getattr", new PickleBytes(2).Global("builtins", "getattr")
                .Mark().Global("os", "path").Str("exists").Tuple().Reduce().Stop().ToArray()),
            // protocol 0: INST pushes os.system('touch ...') directly
            "inst:os.system" => ("os.system", new PickleBytes(0).Mark().Str(command).Inst("os", "system").Stop().ToArray()),
            _ => throw new ArgumentException(kind),
        };
    }

    private void AssertRefused(string path, string global)
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(global, e.Message);
        Assert.Contains("refused", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(_marker), "the payload ran: marker file exists");
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void PlainPickleIsRefused(string kind)
    {
        var (global, bytes) = Payload(kind);
        var path = _scratch.Write("evil.pkl", bytes);
        AssertRefused(path, global);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void TorchZipDataPklIsRefused(string kind)
    {
        var (global, bytes) = Payload(kind);
        var path = _scratch.Write("evil.pt", TorchZip(bytes));
        AssertRefused(path, global);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void NestedLoadFromBytesLegacyIsRefused(string kind)
    {
        var (global, bytes) = Payload(kind);
        // A legacy torch.save whose object pickle is the payload, nested the way NVIDIA pickles carry tensors.
        var legacy = LegacyTorchSave(bytes, new PickleBytes(2).EmptyList().Stop().ToArray(), []);
        var outer = new PickleBytes(4).StackGlobal("torch.storage", "_load_from_bytes").Mark().Bytes(legacy).Tuple().Reduce().Stop().ToArray();
        var path = _scratch.Write("nested.pkl", outer);
        AssertRefused(path, global);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void NestedLoadFromBytesZipIsRefused(string kind)
    {
        var (global, bytes) = Payload(kind);
        var outer = new PickleBytes(4).StackGlobal("torch.storage", "_load_from_bytes").Mark().Bytes(TorchZip(bytes)).Tuple().Reduce().Stop().ToArray();
        var path = _scratch.Write("nested-zip.pkl", outer);
        AssertRefused(path, global);
    }

    [Fact]
    public void PayloadAfterLegitimateContentIsStillRefused()
    {
        var (global, payload) = Payload("posix.system");
        var bytes = new PickleBytes(2).EmptyDict().Str("fine").Int(1).SetItem()
            .Str("evil").Raw(payload[2..^1]).SetItem().Stop().ToArray();
        AssertRefused(_scratch.Write("mixed.pkl", bytes), global);
    }

    [Fact]
    public void ExtensionCodesAreRefused()
    {
        var bytes = new PickleBytes(2).Op(0x82).Op(1).EmptyTuple().Reduce().Stop().ToArray();
        var path = _scratch.Write("ext.pkl", bytes);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Contains("EXT", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void AllowedClassWithUnexpectedArgumentsIsRefused()
    {
        var orderedDict = new PickleBytes(2).Global("collections", "OrderedDict").Mark().Int(1).Int(2).Tuple().Reduce().Stop().ToArray();
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(_scratch.Write("od.pkl", orderedDict)));
        Assert.Contains("collections.OrderedDict", e.Message);
        Assert.Contains("unexpected arguments", e.Message);

        var rebuild = new PickleBytes(2).Global("torch._utils", "_rebuild_tensor_v2").Mark().Str("not a storage").Tuple().Reduce().Stop().ToArray();
        e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(_scratch.Write("rebuild.pkl", rebuild)));
        Assert.Contains("torch._utils._rebuild_tensor_v2", e.Message);
        Assert.Contains("unexpected arguments", e.Message);

        // An allowed wrapper asked to call an allowed but unrelated function.
        var fromType = new PickleBytes(2).Global("torch._tensor", "_rebuild_from_type_v2")
            .Mark().Global("collections", "OrderedDict").Global("torch", "Tensor").EmptyTuple().EmptyDict().Tuple().Reduce().Stop().ToArray();
        e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(_scratch.Write("fromtype.pkl", fromType)));
        Assert.Contains("_rebuild_from_type_v2", e.Message);

        // A storage type is a value, not a function.
        var storageCall = new PickleBytes(2).Global("torch", "FloatStorage").Mark().Int(100).Tuple().Reduce().Stop().ToArray();
        e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(_scratch.Write("storage.pkl", storageCall)));
        Assert.Contains("torch.FloatStorage", e.Message);
    }

    [Theory]
    [InlineData(0L, 1000L, 1L)]                 // 4 floats of storage, a view of 1000
    [InlineData(3L, 2L, 1L)]                    // starts inside, ends outside
    [InlineData(0L, 1L << 40, 1L << 40)]        // extent overflows 64 bits
    public void TensorViewOutsideItsStorageIsRefused(long offset, long size, long stride)
    {
        // Reading such a view would run past the storage buffer.
        var pkl = new PickleBytes(2).TorchTensor("FloatStorage", "0", 4, offset, [size, 2], [stride, 1]).Stop().ToArray();
        var path = _scratch.Write("oob.pt", TorchZip(pkl, new Dictionary<string, byte[]> { ["0"] = new byte[16] }));
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("storage '0'", e.Message);
    }

    [Fact]
    public void StorageShorterThanDeclaredIsRefused()
    {
        var pkl = new PickleBytes(2).TorchTensor("FloatStorage", "0", 8, 0, [8], [1]).Stop().ToArray();
        var path = _scratch.Write("short.pt", TorchZip(pkl, new Dictionary<string, byte[]> { ["0"] = new byte[16] }));
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Contains("storage '0'", e.Message);
    }

    /// <summary>A legacy (pre-1.6) torch.save byte stream: magic, protocol, sys info, object, keys, storages.</summary>
    internal static byte[] LegacyTorchSave(byte[] objectPickle, byte[] keysPickle, IEnumerable<byte[]> storages)
    {
        var magic = new PickleBytes(2).Op(0x8a).Op(10).Raw(0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop().ToArray();
        var protocol = new PickleBytes(2).Op((byte)'M').Raw(0xe9, 0x03).Stop().ToArray();
        var sysInfo = new PickleBytes(2).EmptyDict().Str("protocol_version").Int(1001).SetItem()
            .Str("little_endian").Bool(true).SetItem().Stop().ToArray();
        var all = new List<byte>();
        all.AddRange(magic);
        all.AddRange(protocol);
        all.AddRange(sysInfo);
        all.AddRange(objectPickle);
        all.AddRange(keysPickle);
        foreach (var s in storages)
        {
            all.AddRange(s);
        }
        return all.ToArray();
    }
}
