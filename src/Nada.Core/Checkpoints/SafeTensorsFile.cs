using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Nada.Core.Checkpoints.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints;

/// <summary>
/// Reads and writes safetensors files: an 8-byte little-endian header length, a JSON header
/// (name -> dtype, shape, data_offsets; optional <c>__metadata__</c> string map), then the raw little-endian
/// tensor bytes. Dtypes F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL. Writes are atomic (a temporary file
/// in the same folder, then a rename).
/// </summary>
/// <remarks>Our own code rather than TorchSharp.PyBridge 1.4.4: its safetensors class is internal, skips
/// <c>__metadata__</c>, does not check offsets against the file, and does not write atomically.</remarks>
public static class SafeTensorsFile
{
    /// <summary>The largest header length that still marks a file as safetensors (the format's own limit); reading it is then bounded by <see cref="ReadLimits.MaxHeaderBytes"/>.</summary>
    private const long DetectableHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Reads every tensor (contiguous CPU, original dtype) and the metadata map of <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">What reading it may cost; <see cref="ReadLimits.Default"/> when null.</param>
    /// <exception cref="CheckpointException">Missing, empty, truncated or malformed file; tensors whose byte ranges
    /// overlap or leave the file; more than <paramref name="limits"/> allow. Every entry of the header is checked
    /// before the first tensor is allocated.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            using var stream = CheckpointReader.OpenChecked(path);
            var budget = new ReadBudget(path, limits ?? ReadLimits.Default, stream.Length);
            var header = ReadHeader(path, stream, budget.Limits, out long dataStart);
            var metadata = new Dictionary<string, string>();
            var entries = ReadEntries(path, header, stream.Length - dataStart, budget, metadata);
            foreach (var entry in entries)
            {
                var tensor = empty(entry.Shape, dtype: entry.Dtype);
                tensors[entry.Name] = tensor;
                stream.Position = dataStart + entry.Begin;
                if (entry.End > entry.Begin)
                {
                    stream.ReadExactly(tensor.bytes);
                }
            }
            return (tensors, metadata);
        }
        catch (Exception e)
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
            if (e is CheckpointException)
            {
                throw;
            }
            throw new CheckpointException(path, $"cannot read safetensors ({e.GetType().Name}: {e.Message})",
                "The file may be truncated or corrupt", e);
        }
    }

    /// <summary>
    /// The metadata map of <paramref name="path"/> alone (the header is read and checked, no tensor is): tells a file's
    /// kind (e.g. a compact domain from a generator) without reading its data. Null when the file is not safetensors.
    /// </summary>
    /// <exception cref="CheckpointException">A safetensors file whose header is malformed or over <paramref name="limits"/>.</exception>
    public static Dictionary<string, string>? ReadMetadata(string path, ReadLimits? limits = null)
    {
        using var stream = CheckpointReader.OpenChecked(path);
        Span<byte> head = stackalloc byte[9];
        if (stream.Length < 9) return null;
        stream.ReadExactly(head);
        if (!LooksLikeSafeTensors(head, stream.Length)) return null;
        stream.Position = 0;
        var header = ReadHeader(path, stream, (limits ?? ReadLimits.Default), out _);
        var metadata = new Dictionary<string, string>();
        if (header.TryGetProperty("__metadata__", out var element)) ReadMetadata(path, element, metadata);
        return metadata;
    }

    private sealed record Entry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

    /// <summary>
    /// The header's tensors in header order, each checked before any is allocated: known dtype, byte count matching its
    /// shape, inside the file, no name twice, no byte shared with another tensor (the safetensors format lays tensors
    /// end to end, so real files never overlap; overlapping ranges would let a small file stand for many copies of its
    /// data), and each tensor, their number and their total within the budget.
    /// </summary>
    private static List<Entry> ReadEntries(string path, JsonElement header, long dataLength, ReadBudget budget, Dictionary<string, string> metadata)
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in header.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                ReadMetadata(path, property.Value, metadata);
                continue;
            }
            if (!names.Add(property.Name))
            {
                throw Malformed(path, $"tensor '{property.Name}' appears twice in the header");
            }
            var (dtype, shape, begin, end) = ReadEntry(path, property);
            long expected;
            try
            {
                expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * TorchDtypes.ElementSize(dtype));
            }
            catch (OverflowException)
            {
                throw Malformed(path, $"tensor '{property.Name}' has a shape [{string.Join(",", shape)}] whose size overflows");
            }
            if (end - begin != expected)
            {
                throw Malformed(path, $"tensor '{property.Name}' has {end - begin} bytes for shape [{string.Join(",", shape)}] {dtype}");
            }
            if (end > dataLength)
            {
                throw new CheckpointException(path, $"tensor '{property.Name}' lies beyond the end of the file (truncated)",
                    "Download or copy the file again");
            }
            entries.Add(new Entry(property.Name, dtype, shape, begin, end));
        }
        var byOffset = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ThenBy(e => e.End);
        Entry? previous = null;
        foreach (var entry in byOffset)
        {
            if (previous is not null && entry.Begin < previous.End)
            {
                throw Malformed(path, $"tensors '{previous.Name}' and '{entry.Name}' share bytes {entry.Begin}..{Math.Min(previous.End, entry.End)} of the data; a safetensors file lays tensors end to end");
            }
            previous = entry;
        }
        foreach (var entry in entries)
        {
            long bytes = entry.End - entry.Begin;
            budget.ChargeTensor(bytes, $"tensor '{entry.Name}'");
            if (bytes > Array.MaxLength)
            {
                throw Malformed(path, $"tensor '{entry.Name}' is larger than 2 GB, which this reader does not support");
            }
        }
        return entries;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout; written as contiguous little-endian data) and
    /// <paramref name="metadata"/> to <paramref name="path"/>, replacing it atomically.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NewDisposeScope();
        var cpu = new List<(string Name, Tensor Data)>();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (name == "__metadata__")
            {
                throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
            }
            var data = tensor.detach().cpu().contiguous();
            long bytes = data.NumberOfElements * TorchDtypes.ElementSize(data.dtype);
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = DtypeName(data.dtype),
                ["shape"] = data.shape,
                ["data_offsets"] = new[] { offset, offset + bytes },
            };
            offset += bytes;
            cpu.Add((name, data));
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(json);
                for (int i = json.Length; i < padded; i++)
                {
                    stream.WriteByte((byte)' ');
                }
                foreach (var (_, data) in cpu)
                {
                    if (data.NumberOfElements > 0)
                    {
                        stream.Write(data.bytes);
                    }
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { /* best effort */ }
            throw;
        }
    }

    /// <summary>True when the bytes start like a safetensors header (length, then a JSON object).</summary>
    internal static bool LooksLikeSafeTensors(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9)
        {
            return false;
        }
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return n >= 2 && n <= (ulong)Math.Min(fileLength - 8, DetectableHeaderBytes) && head[8] == (byte)'{';
    }

    private static JsonElement ReadHeader(string path, FileStream stream, ReadLimits limits, out long dataStart)
    {
        if (stream.Length < 8)
        {
            throw new CheckpointException(path, "the file is too short to be safetensors (truncated)", "Download or copy the file again");
        }
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > (ulong)limits.MaxHeaderBytes)
        {
            throw new CheckpointException(path, $"the safetensors header claims {n} bytes, more than a header may have ({ReadBudget.Size(limits.MaxHeaderBytes)}; ReadLimits.MaxHeaderBytes)",
                ReadBudget.OverLimitAdvice);
        }
        if ((long)n > stream.Length - 8)
        {
            throw new CheckpointException(path, "the safetensors header runs past the end of the file (truncated)", "Download or copy the file again");
        }
        var json = new byte[n];
        stream.ReadExactly(json);
        dataStart = 8 + (long)n;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Malformed(path, "the header is not a JSON object");
            }
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Malformed(path, $"the header is not valid JSON ({e.Message})");
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Malformed(path, "__metadata__ is not an object");
        }
        foreach (var item in element.EnumerateObject())
        {
            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw Malformed(path, $"__metadata__ value '{item.Name}' is not a string");
        }
    }

    private static (ScalarType Dtype, long[] Shape, long Begin, long End) ReadEntry(string path, JsonProperty property)
    {
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("dtype", out var dtypeElement)
            || !v.TryGetProperty("shape", out var shapeElement) || !v.TryGetProperty("data_offsets", out var offsetsElement)
            || dtypeElement.ValueKind != JsonValueKind.String || shapeElement.ValueKind != JsonValueKind.Array
            || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw Malformed(path, $"entry '{property.Name}' lacks dtype, shape or data_offsets");
        }
        var dtype = ParseDtype(path, dtypeElement.GetString()!);
        var shape = shapeElement.EnumerateArray().Select(e => e.TryGetInt64(out var d) && d >= 0 ? d
            : throw Malformed(path, $"entry '{property.Name}' has a bad shape")).ToArray();
        var offsets = offsetsElement.EnumerateArray().Select(e => e.TryGetInt64(out var o) && o >= 0 ? o
            : throw Malformed(path, $"entry '{property.Name}' has bad data_offsets")).ToArray();
        if (offsets[1] < offsets[0])
        {
            throw Malformed(path, $"entry '{property.Name}' has data_offsets that end before they begin");
        }
        return (dtype, shape, offsets[0], offsets[1]);
    }

    private static ScalarType ParseDtype(string path, string name) => name switch
    {
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw Malformed(path, $"dtype '{name}' is not supported"),
    };

    private static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"dtype {type} cannot be stored in safetensors"),
    };

    private static CheckpointException Malformed(string path, string problem) =>
        new(path, "malformed safetensors file: " + problem, "The file is corrupt or not safetensors");
}
