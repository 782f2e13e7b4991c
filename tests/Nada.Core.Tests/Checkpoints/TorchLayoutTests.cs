using System.Buffers.Binary;
using Nada.Core.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Hand-built torch archives: offsets, strides, shared storages, dtypes, byte order, legacy format, numpy.</summary>
public sealed class TorchLayoutTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    [Fact]
    public void OffsetsStridesAndSharedStoragesGiveTheRightValues()
    {
        using var scope = NewDisposeScope();
        // One storage 0..5 seen three ways: a transposed view, a slice at offset 4, and the whole.
        var pkl = new PickleBytes(2).EmptyDict()
            .Str("transposed").TorchTensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3]).SetItem()
            .Str("tail").TorchTensor("FloatStorage", "0", 6, 4, [2], [1]).SetItem()
            .Str("whole").TorchTensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1]).SetItem()
            .Stop().ToArray();
        var path = _scratch.Write("views.pt", TorchZip(pkl, new Dictionary<string, byte[]> { ["0"] = Floats(0, 1, 2, 3, 4, 5) }));

        var graph = (Dictionary<string, object?>)CheckpointReader.Read(path)!;
        var transposed = (Tensor)graph["transposed"]!;
        Assert.True(transposed.is_contiguous());
        Assert.Equal(new long[] { 3, 2 }, transposed.shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, transposed.data<float>().ToArray());
        Assert.Equal(new float[] { 4, 5 }, ((Tensor)graph["tail"]!).data<float>().ToArray());
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, ((Tensor)graph["whole"]!).data<float>().ToArray());
    }

    [Theory]
    [InlineData("HalfStorage", ScalarType.Float16, 2)]
    [InlineData("BFloat16Storage", ScalarType.BFloat16, 2)]
    [InlineData("DoubleStorage", ScalarType.Float64, 8)]
    [InlineData("LongStorage", ScalarType.Int64, 8)]
    [InlineData("IntStorage", ScalarType.Int32, 4)]
    [InlineData("ShortStorage", ScalarType.Int16, 2)]
    [InlineData("CharStorage", ScalarType.Int8, 1)]
    [InlineData("ByteStorage", ScalarType.Byte, 1)]
    [InlineData("BoolStorage", ScalarType.Bool, 1)]
    public void StorageDtypeIsKept(string storage, ScalarType dtype, int elementSize)
    {
        using var scope = NewDisposeScope();
        var raw = Enumerable.Range(0, 3 * elementSize).Select(i => (byte)(dtype == ScalarType.Bool ? i % 2 : i + 1)).ToArray();
        var pkl = new PickleBytes(2).TorchTensor(storage, "0", 3, 0, [3], [1]).Stop().ToArray();
        var path = _scratch.Write("dtype.pt", TorchZip(pkl, new Dictionary<string, byte[]> { ["0"] = raw }));
        var t = Assert.IsType<Tensor>(CheckpointReader.Read(path));
        Assert.Equal(dtype, t.dtype);
        Assert.Equal(raw, t.bytes.ToArray());
    }

    [Fact]
    public void BigEndianArchiveIsSwapped()
    {
        using var scope = NewDisposeScope();
        var pkl = new PickleBytes(2).TorchTensor("FloatStorage", "0", 2, 0, [2], [1]).Stop().ToArray();
        var big = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(big, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(big.AsSpan(4), -2.25f);
        var zip = TorchZipWithByteorder(pkl, big, "big");
        var t = Assert.IsType<Tensor>(CheckpointReader.Read(_scratch.Write("big.pt", zip)));
        Assert.Equal(new[] { 1.5f, -2.25f }, t.data<float>().ToArray());
    }

    [Fact]
    public void LegacyTorchSaveFileLoads()
    {
        using var scope = NewDisposeScope();
        var obj = new PickleBytes(2).EmptyDict()
            .Str("w").TorchTensor("FloatStorage", "k1", 4, 1, [2], [2], legacy: true).SetItem()
            .Str("n").Int(7).SetItem()
            .Stop().ToArray();
        var keys = new PickleBytes(2).EmptyList().Mark().Str("k1").Appends().Stop().ToArray();
        var numel = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(numel, 4);
        var bytes = MaliciousPickleTests.LegacyTorchSave(obj, keys, [numel, Floats(10, 11, 12, 13)]);
        var graph = (Dictionary<string, object?>)CheckpointReader.Read(_scratch.Write("legacy.pth", bytes))!;
        Assert.Equal(new float[] { 11, 13 }, ((Tensor)graph["w"]!).data<float>().ToArray());
        Assert.Equal(7L, graph["n"]);
    }

    [Fact]
    public void FortranOrderNumpyArrayBecomesRowMajorTensor()
    {
        using var scope = NewDisposeScope();
        // [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6
        var pkl = new PickleBytes(2)
            .Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").IntTuple(0).Bytes("b"u8.ToArray())
            .Op(0x87).Reduce()
            .Mark().Int(1).IntTuple(2, 3)
            .Global("numpy", "dtype").Str("f4").Bool(false).Bool(true).Op(0x87).Reduce()
            .Mark().Int(3).Str("<").None().None().None().Int(-1).Int(-1).Int(0).Tuple().Build()
            .Bool(true).Bytes(Floats(1, 4, 2, 5, 3, 6)).Tuple().Build()
            .Stop().ToArray();
        var t = Assert.IsType<Tensor>(CheckpointReader.Read(_scratch.Write("np.pkl", pkl)));
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.True(t.is_contiguous());
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, t.data<float>().ToArray());
    }

    [Fact]
    public void IntegerDictKeysBecomeDecimalStrings()
    {
        var pkl = new PickleBytes(2).EmptyDict().Int(4).Str("four").SetItem().Int(-300).Str("neg").SetItem().Stop().ToArray();
        var graph = (Dictionary<string, object?>)CheckpointReader.Read(_scratch.Write("keys.pkl", pkl))!;
        Assert.Equal("four", graph["4"]);
        Assert.Equal("neg", graph["-300"]);
    }

    private static byte[] TorchZipWithByteorder(byte[] pkl, byte[] storage, string order)
    {
        using var memory = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(memory, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in new[] { ("a/data.pkl", pkl), ("a/data/0", storage), ("a/byteorder", System.Text.Encoding.ASCII.GetBytes(order)) })
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(content);
            }
        }
        return memory.ToArray();
    }
}
