using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>PyTorch storage class names and dtype names and the TorchSharp scalar types they stand for.</summary>
internal static class TorchDtypes
{
    /// <summary><c>torch.FloatStorage</c> etc. as written in persistent ids.</summary>
    public static readonly IReadOnlyDictionary<string, ScalarType> StorageTypes = new Dictionary<string, ScalarType>
    {
        ["HalfStorage"] = ScalarType.Float16,
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        ["UntypedStorage"] = ScalarType.Byte,
    };

    /// <summary><c>torch.float32</c> etc. as pickled dtype values.</summary>
    public static readonly IReadOnlyDictionary<string, ScalarType> DtypeNames = new Dictionary<string, ScalarType>
    {
        ["float16"] = ScalarType.Float16,
        ["half"] = ScalarType.Float16,
        ["float32"] = ScalarType.Float32,
        ["float"] = ScalarType.Float32,
        ["float64"] = ScalarType.Float64,
        ["double"] = ScalarType.Float64,
        ["bfloat16"] = ScalarType.BFloat16,
        ["int64"] = ScalarType.Int64,
        ["long"] = ScalarType.Int64,
        ["int32"] = ScalarType.Int32,
        ["int"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16,
        ["short"] = ScalarType.Int16,
        ["int8"] = ScalarType.Int8,
        ["uint8"] = ScalarType.Byte,
        ["bool"] = ScalarType.Bool,
    };

    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {type} is not supported"),
    };

    /// <summary>Reverses the byte order of every element in place (big-endian files).</summary>
    public static void SwapBytes(Span<byte> data, int elementSize)
    {
        if (elementSize == 1)
        {
            return;
        }
        for (int i = 0; i + elementSize <= data.Length; i += elementSize)
        {
            data.Slice(i, elementSize).Reverse();
        }
    }

    /// <summary>A new 1-D CPU tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType type, long numel)
    {
        var tensor = empty(numel, dtype: type);
        if (numel > 0)
        {
            data[..(int)(numel * ElementSize(type))].CopyTo(tensor.bytes);
        }
        return tensor;
    }
}
