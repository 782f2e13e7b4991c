using System.Buffers.Binary;
using System.Text;
using Nada.Core.Checkpoints;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Tests.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// Every bomb and every lying header, read in-process through the public readers: refused with one line that names the
/// file and what was over the limit (or what was wrong), before anything of the claimed size is allocated. The peak
/// memory of the same refusals is measured in <see cref="BombPeakMemoryTests"/>; this class checks the messages and the
/// checks that need crafted headers or small limits.
/// </summary>
public sealed class ReadBombTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>What each model bomb's refusal by the checkpoint reader must say besides the file name (graph bombs read fine and are refused by the generator loader).</summary>
    public static TheoryData<string, string> ModelBombRefusals => new()
    {
        { "zip-pickle-deflate", "ReadLimits.SmallFileAllowanceBytes" },
        { "zip-storage-deflate", "storage '0' (archive/data/0) needs" },
        { "zip-many-entries", "ReadLimits.SmallFileAllowanceBytes" },
        { "zip-view-expand", "contiguous copy of a [16384, 12288] view" },
        { "legacy-view-expand", "contiguous copy of a [16384, 12288] view" },
        { "nvidia-nested", "storage '0' (nested torch.save > archive/data/0) needs" },
        { "numpy-shared-bytes", "ReadLimits.MaxExpansion" },
        { "pickle-memo", "ReadLimits.MaxExpansion" },
        { "pickle-list-append", "ReadLimits.MaxExpansion" },
        { "safetensors-overlap", "share bytes" },
    };

    [Theory]
    [MemberData(nameof(ModelBombRefusals))]
    public void ModelBombIsRefusedByTheCheckpointReader(string bomb, string expected)
    {
        var path = BombFolder.Get(bomb);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        AssertNames(e, path, expected);
        // The generator loader (nada convert, uploads, the models folder) goes through the same reader.
        var g = Assert.Throws<CheckpointException>(() => GeneratorLoader.Load(path));
        AssertNames(g, path, expected);
    }

    [Theory]
    [InlineData("nvidia-module-dag")]
    [InlineData("nvidia-cycle")]
    [InlineData("tf-cycle")]
    public void GraphBombIsRefusedByTheGeneratorLoader(string bomb)
    {
        // The file reads as a graph (shared and cyclic objects are legal in a pickle); walking it as a network must not
        // follow every path (millions) or loop until the stack overflows, which would kill the process.
        var path = BombFolder.Get(bomb);
        var e = Assert.Throws<CheckpointException>(() => GeneratorLoader.Load(path));
        AssertNames(e, path, ModelBombs.NonLimitRefusals[bomb]);
    }

    [Fact]
    public void StateDictFlattenRefusesAnAliasExplosion()
    {
        // 30 dicts that each name the next twice: 2^30 dotted names for one tensor.
        using var t = TorchSharp.torch.zeros(1);
        object? node = t;
        for (int i = 0; i < 30; i++) node = new Dictionary<string, object?> { ["a"] = node, ["b"] = node };
        var e = Assert.Throws<CheckpointException>(() => StateDict.Flatten(node, path: "alias.pkl"));
        AssertNames(e, "alias.pkl", "reaches more than 100000 objects");
    }

    [Fact]
    public void TorchScriptCodeBombIsRefusedByTheClipLoader()
    {
        var path = BombFolder.Get("torchscript-code");
        var e = Assert.Throws<ClipFormatException>(() => ClipLoader.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("TorchScript code 'archive/code/__torch__/m", e.Message);
        Assert.Contains("ReadLimits.", e.Message);
    }

    public static TheoryData<string> ImageBombNames => new(ImageBombs.Descriptions.Keys);

    [Theory]
    [MemberData(nameof(ImageBombNames))]
    public void ImageBombIsRefusedBeforeDecoding(string bomb)
    {
        var path = BombFolder.Get(bomb);
        var e = Assert.Throws<InvalidDataException>(() => PhotoInverter.LoadPhoto(path, 64));
        Assert.Contains(path, e.Message);
        Assert.Contains("ReadLimits.Max", e.Message);
        var skipped = new List<SkippedImage>();
        var none = Assert.Throws<InvalidDataException>(() => StyleImageLoader.Load([path], 64, skipped));
        Assert.Contains(Path.GetFileName(path), none.Message);
        Assert.Contains("ReadLimits.Max", Assert.Single(skipped).Reason);
    }

    // ------------------------------------------------------------------ zip headers

    private static byte[] Pickle(PickleBytes p) => p.Stop().ToArray();

    private static byte[] OneTensorPickle(long numel = 4) =>
        Pickle(new PickleBytes(2).TorchTensor("FloatStorage", "0", numel, 0, [numel], [1]));

    [Fact]
    public void ZipListingMoreEntriesThanAllowedIsRefusedBeforeItsDirectoryIsRead()
    {
        var bytes = CraftedZip.Write([new("archive/data.pkl", OneTensorPickle()), new("archive/data/0", new byte[16])], claimedEntries: 50_000_000);
        var path = _scratch.Write("many.pt", bytes);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "lists 50000000 entries", "ReadLimits.MaxZipEntries");
    }

    [Fact]
    public void ZipWithTwoEntriesOfOneNameIsRefused()
    {
        // A reader that checks the first data.pkl and a tool that unpacks the second would see different files.
        var bytes = CraftedZip.Write([
            new("archive/data.pkl", OneTensorPickle()), new("archive/data/0", new byte[16]),
            new("archive/data.pkl", Pickle(new PickleBytes(2).EmptyDict())),
        ]);
        var path = _scratch.Write("twice.pt", bytes);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "'archive/data.pkl' appears twice");
    }

    [Theory]
    [InlineData(0x8000_0000_0000_0000UL)]                  // negative as a signed size
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL)]                  // -1
    [InlineData(1UL << 40)]                                 // 1 TiB of pickle in a 200-byte file
    public void Zip64SizesThatNoFileCanHoldAreRefused(ulong claimed)
    {
        var bytes = CraftedZip.Write([new("archive/data.pkl", OneTensorPickle()) { Zip64 = true, ClaimedUncompressed = claimed }, new("archive/data/0", new byte[16])]);
        var path = _scratch.Write("zip64.pt", bytes);
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Equal(path, e.Path);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void StoredEntryClaimingMoreThanItHoldsIsRefusedWithoutAllocatingTheClaim()
    {
        var bytes = CraftedZip.Write([new("archive/data.pkl", OneTensorPickle()) { ClaimedUncompressed = 1_500_000_000, ClaimedCompressed = 1_500_000_000 }, new("archive/data/0", new byte[16])]);
        var path = _scratch.Write("liar.pt", bytes);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "archive/data.pkl");
    }

    [Fact]
    public void StorageClaimingMoreElementsThanItsEntryHoldsIsRefusedBeforeReading()
    {
        var path = _scratch.Write("short.pt", TorchZip(OneTensorPickle(numel: 1 << 28), new Dictionary<string, byte[]> { ["0"] = new byte[16] }));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "storage '0' holds 16 bytes but needs 1073741824 bytes");
    }

    [Fact]
    public void StorageWhoseByteCountOverflowsIsRefused()
    {
        var path = _scratch.Write("overflow.pt", TorchZip(Pickle(new PickleBytes(2).TorchTensor("DoubleStorage", "0", 1L << 61, 0, [1], [1])),
            new Dictionary<string, byte[]> { ["0"] = new byte[16] }));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "storage '0' claims 2305843009213693952 elements");
    }

    [Fact]
    public void ManySmallEntriesSumPastTheTotal()
    {
        // 40 storages of 64 KiB each, well inside any per-tensor limit, against a total of 1 MiB.
        var pkl = new PickleBytes(2).EmptyDict();
        var storages = new Dictionary<string, byte[]>();
        for (int i = 0; i < 40; i++)
        {
            pkl.Str($"t{i}").TorchTensor("FloatStorage", i.ToString(), 1 << 14, 0, [1 << 14], [1]).SetItem();
            storages[i.ToString()] = new byte[1 << 16];
        }
        var path = _scratch.Write("sum.pt", TorchZip(Pickle(pkl), storages));
        var limits = new ReadLimits { MaxTotalBytes = 1 << 20 };
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path, limits)), path, "ReadLimits.MaxTotalBytes");
        Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(path));     // the defaults admit it
    }

    [Fact]
    public void TensorCountAndSizeLimitsAreEnforced()
    {
        var pkl = new PickleBytes(2).EmptyDict();
        var storages = new Dictionary<string, byte[]>();
        for (int i = 0; i < 20; i++)
        {
            pkl.Str($"t{i}").TorchTensor("FloatStorage", i.ToString(), 256, 0, [256], [1]).SetItem();
            storages[i.ToString()] = new byte[1024];
        }
        var path = _scratch.Write("count.pt", TorchZip(Pickle(pkl), storages));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path, new ReadLimits { MaxTensors = 10 })), path, "ReadLimits.MaxTensors = 10");
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path, new ReadLimits { MaxTensorBytes = 512 })), path, "ReadLimits.MaxTensorBytes");
    }

    // ------------------------------------------------------------------ legacy torch.save

    [Fact]
    public void LegacyStorageViewWhoseEndOverflowsIsRefused()
    {
        var view = new PickleBytes(2).Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("root").Str("cpu").Int(4)
            .Mark().Str("view").Int(long.MaxValue - 1).Int(10).Tuple().Tuple().BinPersId()
            .Int(0).IntTuple(1).IntTuple(1).Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        var keys = new PickleBytes(2).EmptyList().Mark().Str("root").Appends().Stop().ToArray();
        var numel = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(numel, 4);
        var path = _scratch.Write("legacy.pt", MaliciousPickleTests.LegacyTorchSave(Pickle(view), keys, [numel, new byte[16]]));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "malformed storage view");
    }

    [Fact]
    public void LegacyStorageListedTwiceIsRefused()
    {
        var obj = Pickle(new PickleBytes(2).TorchTensor("FloatStorage", "k", 4, 0, [4], [1], legacy: true));
        var keys = new PickleBytes(2).EmptyList().Mark().Str("k").Str("k").Appends().Stop().ToArray();
        var numel = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(numel, 4);
        var path = _scratch.Write("twice.pt", MaliciousPickleTests.LegacyTorchSave(obj, keys, [numel, new byte[16], numel, new byte[16]]));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "lists storage 'k' twice");
    }

    // ------------------------------------------------------------------ pickle opcodes

    public static TheoryData<string, byte[]> LengthOpcodes => new()
    {
        { "BINBYTES8", [0x8e, .. BitConverter.GetBytes(1UL << 62)] },
        { "BINUNICODE8", [0x8d, .. BitConverter.GetBytes(1UL << 62)] },
        { "BYTEARRAY8", [0x96, .. BitConverter.GetBytes(ulong.MaxValue)] },
        { "BINUNICODE", [(byte)'X', .. BitConverter.GetBytes(uint.MaxValue)] },
        { "BINBYTES", [(byte)'B', .. BitConverter.GetBytes(0x7FFF_FFFFU)] },
        { "LONG4", [0x8b, .. BitConverter.GetBytes(0x7FFF_FFFFU)] },
        { "FRAME", [0x95, .. BitConverter.GetBytes(1UL << 40)] },
    };

    [Theory]
    [MemberData(nameof(LengthOpcodes))]
    public void OpcodeClaimingMoreBytesThanThePickleHasIsRefusedByName(string opcode, byte[] op)
    {
        var path = _scratch.Write("len.pkl", [0x80, 4, .. op, .. new byte[32], (byte)'.']);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, opcode + " at byte", "only 33 are left");
    }

    [Fact]
    public void HugeIntegersAreRefused()
    {
        // 2000 bytes of LONG4 (Python's int('9' * 4800) would be refused to print, too), and a 5000-digit text integer.
        var long4 = _scratch.Write("long4.pkl", [0x80, 2, 0x8b, .. BitConverter.GetBytes(2000), .. Enumerable.Repeat((byte)0x7f, 2000), (byte)'.']);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(long4)), long4, "LONG4 announces a 2000-byte integer");
        var text = _scratch.Write("long.pkl", [0x80, 2, (byte)'L', .. Encoding.ASCII.GetBytes(new string('9', 5000)), (byte)'\n', (byte)'.']);
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(text)), text, "an integer of 5000 digits");
    }

    [Fact]
    public void MemoAndStackLimitsAreEnforced()
    {
        var memo = new PickleBytes(4);
        for (int i = 0; i < 2000; i++) memo.EmptyList().Op(0x94).Op((byte)'0');
        var memoPath = _scratch.Write("memo.pkl", Pickle(memo.EmptyDict()));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(memoPath, new ReadLimits { MaxPickleMemo = 1000 })), memoPath, "ReadLimits.MaxPickleMemo");
        Assert.NotNull(CheckpointReader.Read(memoPath));

        var stack = new PickleBytes(2).Mark();
        for (int i = 0; i < 2000; i++) stack.Mark().EmptyList();
        var stackPath = _scratch.Write("stack.pkl", stack.ToArray());
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(stackPath, new ReadLimits { MaxPickleStack = 1000 })), stackPath, "ReadLimits.MaxPickleStack");
    }

    [Fact]
    public void CopiesOfOneMemoisedDictAreCharged()
    {
        // OrderedDict(d) copies d: 3000 copies of one 1000-entry dict from a 40 KiB pickle.
        var p = new PickleBytes(2).EmptyList().EmptyDict().Op((byte)'q').Op(1).Mark();
        for (int i = 0; i < 1000; i++) p.Int(i).Int(i);
        p.SetItems().Op((byte)'0').Mark();
        for (int i = 0; i < 3000; i++) p.Global("collections", "OrderedDict").Op((byte)'h').Op(1).Op(0x85).Reduce();
        var path = _scratch.Write("copies.pkl", Pickle(p.Appends()));
        AssertNames(Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path)), path, "ReadLimits.SmallFileAllowanceBytes");
    }

    // ------------------------------------------------------------------ safetensors

    private string SafeTensors(string json, long dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return _scratch.Write("st.safetensors", bytes);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16, "share bytes 8..16")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}""", 16, "beyond the end of the file")]
    [InlineData("""{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,16]}}""", 16, "overflows")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}""", 32, "appears twice")]
    public void SafeTensorsHeaderThatLiesIsRefusedBeforeAnyTensorIsMade(string json, long dataBytes, string expected)
    {
        var path = SafeTensors(json, dataBytes);
        AssertNames(Assert.Throws<CheckpointException>(() => SafeTensorsFile.Load(path)), path, expected);
    }

    [Fact]
    public void SafeTensorsHeaderLongerThanAllowedIsRefused()
    {
        var path = SafeTensors("{" + new string(' ', 5000) + "}", 0);
        AssertNames(Assert.Throws<CheckpointException>(() => SafeTensorsFile.Load(path, new ReadLimits { MaxHeaderBytes = 4096 })), path, "ReadLimits.MaxHeaderBytes");
    }

    // ------------------------------------------------------------------ images

    [Fact]
    public void PngPaletteChunkClaimingGigabytesIsRefused()
    {
        // A palette PNG large enough to be streamed by our row decoder, whose PLTE chunk claims 2 GB.
        using var ms = new MemoryStream(ImageBombs.Png(5000, 5000, interlaced: false));
        var png = ms.ToArray();
        png[8 + 8 + 9] = 3;                                                  // colour type 3 (palette) in IHDR
        var fixedCrc = RechunkIhdr(png);
        var plte = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(plte, int.MaxValue);
        Encoding.ASCII.GetBytes("PLTE").CopyTo(plte, 4);
        var path = _scratch.Write("palette.png", [.. fixedCrc[..33], .. plte, .. fixedCrc[33..]]);
        var e = Assert.Throws<InvalidDataException>(() => PngRowDecoder.DecodeAveraged(path, 4));
        Assert.Contains("PLTE chunk claims 2147483647 bytes", e.Message);
    }

    [Fact]
    public void SequentialJpegClaimingMoreThanAFullDecodeMayHoldIsStillDecodedDownscaled()
    {
        // A real 16x16 baseline JPEG whose frame header is patched to 9000x9000 (81M pixels, above MaxFullDecodePixels):
        // libjpeg decodes it scanline by scanline at 1/8 scale, so it is accepted (its missing data reads as grey).
        var rgba = new byte[16 * 16 * 4];
        Array.Fill(rgba, (byte)200);
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(16, 16, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
        var jpeg = data.ToArray();
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 9000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 9000);
        var path = _scratch.Write("tall.jpg", jpeg);
        Assert.True(9000L * 9000 > ReadLimits.Default.MaxFullDecodePixels);
        using var photo = PhotoInverter.LoadPhoto(path, 32);
        Assert.Equal(new long[] { 1, 3, 32, 32 }, photo.shape);
    }

    /// <summary>The PNG with its IHDR CRC recomputed after an edit.</summary>
    private static byte[] RechunkIhdr(byte[] png)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in png.AsSpan(12, 17))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        var copy = png.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), ~crc);
        return copy;
    }

    private static void AssertNames(CheckpointException e, string path, params string[] expected)
    {
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        foreach (var fragment in expected) Assert.Contains(fragment, e.Message);
    }
}
