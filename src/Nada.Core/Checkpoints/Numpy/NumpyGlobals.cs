using System.Buffers.Binary;
using Nada.Core.Checkpoints.Pickle;
using Nada.Core.Checkpoints.Torch;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Numpy;

/// <summary>A numpy dtype from <c>numpy.dtype(code, align, copy)</c> plus its BUILD state (byte order).</summary>
internal sealed class NumpyDtype(string code) : IPyStateful
{
    public string Code { get; } = code;
    public char ByteOrder { get; private set; } = '=';

    public void SetState(PickleContext context, object? state)
    {
        // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        if (state is not object?[] { Length: >= 2 } t || t[1] is not string { Length: 1 } order || order[0] is not ('<' or '>' or '|' or '='))
        {
            throw context.Fail($"unexpected numpy dtype state ({PyRepr.Describe(state)})");
        }
        if (t.Length >= 5 && (t[2] is not null || t[3] is not null || t[4] is not null))
        {
            throw context.Fail($"numpy structured / sub-array dtypes are not supported ({Code})");
        }
        ByteOrder = order[0];
    }

    public bool BigEndian => ByteOrder == '>';

    /// <summary>The torch scalar type of this dtype, or a failure naming it.</summary>
    public ScalarType ToScalarType(PickleContext context) => Code switch
    {
        "f2" => ScalarType.Float16,
        "f4" => ScalarType.Float32,
        "f8" => ScalarType.Float64,
        "i1" => ScalarType.Int8,
        "i2" => ScalarType.Int16,
        "i4" => ScalarType.Int32,
        "i8" => ScalarType.Int64,
        "u1" => ScalarType.Byte,
        "b1" => ScalarType.Bool,
        _ => throw context.Fail($"numpy dtype '{Code}' is not supported (only float16/32/64, int8/16/32/64, uint8, bool)"),
    };

    public string Name => Code switch
    {
        "f2" => "float16", "f4" => "float32", "f8" => "float64",
        "i1" => "int8", "i2" => "int16", "i4" => "int32", "i8" => "int64",
        "u1" => "uint8", "b1" => "bool", _ => Code,
    };
}

/// <summary><c>numpy.dtype(code, align, copy)</c>.</summary>
internal sealed class NumpyDtypeClass() : PyCallable("numpy", "dtype")
{
    public override object? Call(PickleContext context, object?[] args) => args switch
    {
        [string code, bool, bool] when code.Length <= 8 => new NumpyDtype(code),
        _ => throw BadArguments(context, args),
    };
}

/// <summary>
/// An ndarray being unpickled: <c>_reconstruct(ndarray, (0,), b'b')</c> makes it empty, BUILD gives
/// (version, shape, dtype, fortran_order, raw bytes). Becomes a contiguous tensor when the graph is finished.
/// </summary>
internal sealed class NumpyArray : IPyStateful
{
    private long[]? _shape;
    private NumpyDtype? _dtype;
    private bool _fortran;
    private byte[]? _raw;
    private Tensor? _tensor;

    public void SetState(PickleContext context, object? state)
    {
        var t = state as object?[];
        if (t is { Length: 4 })
        {
            t = [1L, t[0], t[1], t[2], t[3]];
        }
        if (t is not { Length: 5 } || !RebuildTensor.TryLongs(t[1], out var shape) || shape.Any(s => s < 0)
            || t[2] is not NumpyDtype dtype || t[3] is not bool fortran)
        {
            throw context.Fail($"unexpected numpy array state ({PyRepr.Describe(state)})");
        }
        if (t[4] is not byte[] raw)
        {
            throw context.Fail("numpy object arrays (arrays of Python objects) are not supported");
        }
        var type = dtype.ToScalarType(context);
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * TorchDtypes.ElementSize(type));
        }
        catch (OverflowException)
        {
            bytes = -1;
        }
        if (raw.LongLength != bytes)
        {
            throw context.Fail($"numpy array of shape [{string.Join(",", shape)}] {dtype.Name} has {raw.Length} bytes of data (corrupt)");
        }
        (_shape, _dtype, _fortran, _raw) = (shape, dtype, fortran, raw);
    }

    public Tensor ToTensor(PickleContext context)
    {
        if (_tensor is not null)
        {
            return _tensor;
        }
        if (_shape is null || _dtype is null || _raw is null)
        {
            throw context.Fail("numpy array without data (its BUILD is missing)");
        }
        var type = _dtype.ToScalarType(context);
        long count = _shape.Aggregate(1L, (a, b) => a * b);                // SetState checked it against the bytes
        string what = $"numpy array [{string.Join(",", _shape)}] {_dtype.Name}";
        // Many arrays may share one bytes object of the pickle: each copy is charged before it is made.
        context.ChargeTensor(_raw.LongLength, what);
        using var flat = TorchDtypes.FromBytes(_raw, type, count);
        if (_dtype.BigEndian)
        {
            TorchDtypes.SwapBytes(flat.bytes, TorchDtypes.ElementSize(type));
        }
        if (!_fortran || _shape.Length < 2)
        {
            _tensor = flat.reshape(_shape);
        }
        else
        {
            // Column-major: the bytes are the transpose laid out row-major.
            context.Charge(_raw.LongLength, what + " (column-major, reordered)");
            using var reversed = flat.reshape(_shape.Reverse().ToArray());
            using var permuted = reversed.permute(Enumerable.Range(0, _shape.Length).Reverse().Select(i => (long)i).ToArray());
            _tensor = permuted.contiguous();
        }
        return _tensor;
    }
}

/// <summary><c>numpy.core.multiarray._reconstruct(ndarray, shape, typecode)</c>: an empty array awaiting BUILD.</summary>
internal sealed class NumpyReconstruct(string module) : PyCallable(module, "_reconstruct")
{
    public override object? Call(PickleContext context, object?[] args) => args switch
    {
        [TypeMarker { QualifiedName: "numpy.ndarray" }, object?[], byte[] or string] => new NumpyArray(),
        _ => throw BadArguments(context, args),
    };
}

/// <summary><c>numpy.core.multiarray.scalar(dtype, bytes)</c>: a Python number (long, double or bool).</summary>
internal sealed class NumpyScalar(string module) : PyCallable(module, "scalar")
{
    public override object? Call(PickleContext context, object?[] args)
    {
        if (args is not [NumpyDtype dtype, byte[] or string] || args[1] is not { } payload)
        {
            throw BadArguments(context, args);
        }
        var raw = payload as byte[] ?? System.Text.Encoding.Latin1.GetBytes((string)payload);
        var type = dtype.ToScalarType(context);
        int size = TorchDtypes.ElementSize(type);
        if (raw.Length != size)
        {
            throw BadArguments(context, args);
        }
        if (dtype.BigEndian)
        {
            raw = raw.Reverse().ToArray();
        }
        return type switch
        {
            ScalarType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(raw),
            ScalarType.Float32 => (double)BinaryPrimitives.ReadSingleLittleEndian(raw),
            ScalarType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(raw),
            ScalarType.Int8 => (long)(sbyte)raw[0],
            ScalarType.Int16 => (long)BinaryPrimitives.ReadInt16LittleEndian(raw),
            ScalarType.Int32 => (long)BinaryPrimitives.ReadInt32LittleEndian(raw),
            ScalarType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw),
            ScalarType.Byte => (long)raw[0],
            ScalarType.Bool => raw[0] != 0,
            _ => throw BadArguments(context, args),
        };
    }
}
