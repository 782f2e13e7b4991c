using System.Buffers.Binary;
using System.Numerics;
using Nada.Core.Checkpoints.Pickle;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// The pre-1.6 torch.save format (still what <c>torch.storage._load_from_bytes</c> holds): consecutive pickles
/// of a magic number, protocol version 1001, system info, the object, and the list of storage keys; then each
/// storage as an int64 element count followed by its raw bytes. The whole file is in memory (it was read whole, or it
/// is a bytes object of a pickle); every storage's element count is checked against the bytes that follow it, and
/// storages are copied straight into their tensors.
/// </summary>
internal static class LegacyTorchFile
{
    private static readonly BigInteger Magic = BigInteger.Parse("119547037146038801333356");

    /// <summary>True when <paramref name="head"/> starts with the legacy magic-number pickle.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && head[0] == 0x80 && head[2] == 0x8a && head[3] == 0x0a
        && new BigInteger(head.Slice(4, 10), isUnsigned: false, isBigEndian: false) == Magic;

    public static object? Read(byte[] data, PickleContext context)
    {
        var plain = context.Nested(context.Part ?? "legacy torch.save", null);
        var magic = PickleMachine.Load(data, 0, plain, out int pos);
        if (magic is not BigInteger m || m != Magic)
        {
            throw context.Fail("not a torch.save file (wrong magic number)");
        }
        var protocol = PickleMachine.Load(data, pos, plain, out pos);
        if (protocol is not 1001L)
        {
            throw context.Fail($"unsupported legacy torch.save protocol {PyRepr.Describe(protocol)}",
                "Re-save the checkpoint with a recent PyTorch");
        }
        var sysInfo = PickleMachine.Load(data, pos, plain, out pos) as Dictionary<string, object?>;
        bool littleEndian = sysInfo is null || !sysInfo.TryGetValue("little_endian", out var le) || le is not false;

        var storages = new Dictionary<string, TorchStorage>();
        var main = context.Nested(context.Part ?? "legacy torch.save", (c, pid) => LoadStorage(c, pid, storages));
        var result = PickleMachine.Load(data, pos, main, out pos);

        var keys = PickleMachine.Load(data, pos, plain, out pos) as List<object?>
                   ?? throw context.Fail("legacy torch.save file has no storage key list");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            if (k is not string key || !storages.TryGetValue(key, out var storage) || storage.Base is not null)
            {
                throw context.Fail($"legacy torch.save storage key {PyRepr.Describe(k)} does not match the pickle");
            }
            if (!seen.Add(key))
            {
                throw context.Fail($"legacy torch.save lists storage '{key}' twice", "The file is corrupt");
            }
            if (data.Length - pos < 8)
            {
                throw context.Fail("the file ends inside its storage data (truncated)", "Download or copy the file again");
            }
            long numel = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(pos, 8));
            if (!littleEndian)
            {
                numel = BinaryPrimitives.ReverseEndianness(numel);
            }
            pos += 8;
            int size = TorchDtypes.ElementSize(storage.DType);
            if (numel != storage.Numel || numel < 0 || numel > (data.Length - pos) / size)
            {
                throw context.Fail($"storage '{key}' data does not fit the file (truncated or corrupt)", "Download or copy the file again");
            }
            int start = pos;
            int length = (int)(numel * size);
            storage.SetSource(destination =>
            {
                data.AsSpan(start, destination.Length).CopyTo(destination);
                if (!littleEndian)
                {
                    TorchDtypes.SwapBytes(destination, size);
                }
            });
            pos += length;
        }
        return result;
    }

    private static object LoadStorage(PickleContext context, object? pid, Dictionary<string, TorchStorage> storages)
    {
        if (pid is not object?[] { Length: 6 } t || t[0] is not "storage" || t[1] is not StorageType type
            || t[2] is not string key || t[3] is not string || t[4] is not long numel || numel < 0)
        {
            throw context.Fail($"unexpected persistent id in legacy torch.save ({(pid is object?[] a ? PyRepr.Describe(a) : PyRepr.Describe(pid))})");
        }
        if (!storages.TryGetValue(key, out var root))
        {
            root = new TorchStorage(key, type.DType, numel) { Source = context.Part };
            storages[key] = root;
        }
        if (t[5] is null)
        {
            return root;
        }
        if (t[5] is not object?[] { Length: 3 } view || view[0] is not string viewKey || view[1] is not long offset
            || view[2] is not long viewSize || offset < 0 || viewSize < 0 || offset > root.Numel || viewSize > root.Numel - offset)
        {
            throw context.Fail("malformed storage view in legacy torch.save");
        }
        if (!storages.TryGetValue(viewKey, out var storageView))
        {
            storageView = new TorchStorage(viewKey, type.DType, viewSize) { Base = root, BaseOffset = offset };
            storages[viewKey] = storageView;
        }
        return storageView;
    }
}
