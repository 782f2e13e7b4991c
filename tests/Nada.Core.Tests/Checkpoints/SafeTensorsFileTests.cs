using Nada.Core.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>safetensors writing and reading: bit-exact round trips, metadata, atomic replacement, bad headers.</summary>
public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static Dictionary<string, Tensor> AllDtypes()
    {
        var g = new TorchSharp.torch.Generator(1234);
        var f = randn(new long[] { 3, 5 }, generator: g);
        return new Dictionary<string, Tensor>
        {
            ["f16"] = f.to(ScalarType.Float16),
            ["bf16"] = f.to(ScalarType.BFloat16),
            ["f32"] = f,
            ["f64"] = randn(new long[] { 2, 2, 2 }, dtype: ScalarType.Float64, generator: g),
            ["i64"] = randint(-1000000, 1000000, new long[] { 7 }, dtype: ScalarType.Int64, generator: g),
            ["i32"] = randint(-100000, 100000, new long[] { 7 }, dtype: ScalarType.Int32, generator: g),
            ["i16"] = randint(-30000, 30000, new long[] { 7 }, dtype: ScalarType.Int16, generator: g),
            ["i8"] = randint(-128, 127, new long[] { 7 }, dtype: ScalarType.Int8, generator: g),
            ["u8"] = randint(0, 255, new long[] { 7 }, dtype: ScalarType.Byte, generator: g),
            ["bool"] = randint(0, 2, new long[] { 9 }, generator: g).to(ScalarType.Bool),
            ["scalar"] = tensor(3.25f),
            ["empty"] = zeros(0, 4),
        };
    }

    [Fact]
    public void RoundTripIsBitExactWithMetadata()
    {
        using var scope = NewDisposeScope();
        var tensors = AllDtypes();
        var metadata = new Dictionary<string, string> { ["format"] = "nada", ["config"] = "{\"size\": 64}" };
        var path = _scratch.File("all.safetensors");
        SafeTensorsFile.Save(path, tensors, metadata);

        var (loaded, loadedMeta) = SafeTensorsFile.Load(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.True(CheckpointParityTests.Same(t, loaded[name]), name);
        }
        Assert.Equal(metadata, loadedMeta);

        // The same file through the format-detecting entry point.
        var graph = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(path));
        Assert.True(CheckpointParityTests.Same(tensors["bf16"], (Tensor)graph["bf16"]!));
    }

    [Fact]
    public void NonContiguousTensorIsWrittenByValue()
    {
        using var scope = NewDisposeScope();
        var t = arange(12, dtype: ScalarType.Float32).reshape(3, 4).t(); // [4, 3], non-contiguous
        var path = _scratch.File("t.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
        var loaded = SafeTensorsFile.Load(path).Tensors["t"];
        Assert.True(CheckpointParityTests.Same(t.contiguous(), loaded));
    }

    [Fact]
    public void SaveReplacesAtomicallyAndLeavesNoTemporaryFiles()
    {
        using var scope = NewDisposeScope();
        var path = _scratch.File("model.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = ones(3) });
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["b"] = zeros(2) });
        Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(_scratch.Dir).Select(Path.GetFileName));
        Assert.Equal(new[] { "b" }, SafeTensorsFile.Load(path).Tensors.Keys);
    }

    [Fact]
    public void ParityTwinHasItsJsonMetadata()
    {
        using var scope = NewDisposeScope();
        var (tensors, metadata) = SafeTensorsFile.Load(Parity("train_expected.safetensors"));
        Assert.NotEmpty(tensors);
        Assert.Contains("auto_layer_k", metadata.Keys); // non-tensor values live in __metadata__ (README)
        Assert.Equal(Config().GetProperty("auto_layer_k").GetInt32(), int.Parse(metadata["auto_layer_k"]));
    }

    [Fact]
    public void OffsetsPastTheEndAreRejected()
    {
        var header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"u8.ToArray();
        var bytes = BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(new byte[8]).ToArray();
        var path = _scratch.Write("bad.safetensors", bytes);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void SizeThatDisagreesWithShapeIsRejected()
    {
        var header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}"u8.ToArray();
        var bytes = BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(new byte[16]).ToArray();
        var path = _scratch.Write("bad2.safetensors", bytes);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Load(path));
        Assert.Contains("malformed", e.Message);
    }
}
