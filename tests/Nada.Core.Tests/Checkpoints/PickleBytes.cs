using System.Buffers.Binary;
using System.Text;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Writes pickle opcodes by hand, for crafting test (and hostile) pickles byte by byte.</summary>
internal sealed class PickleBytes
{
    private readonly List<byte> _bytes = new();

    public PickleBytes(int protocol = 2)
    {
        if (protocol >= 2)
        {
            Op(0x80).Op((byte)protocol);
        }
    }

    public PickleBytes Op(byte op) { _bytes.Add(op); return this; }
    public PickleBytes Raw(params byte[] bytes) { _bytes.AddRange(bytes); return this; }

    /// <summary>GLOBAL 'module name' (protocols 0-3 style).</summary>
    public PickleBytes Global(string module, string name) =>
        Op((byte)'c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    /// <summary>Two strings and STACK_GLOBAL (protocol 4 style).</summary>
    public PickleBytes StackGlobal(string module, string name) => Str(module).Op(0x94).Str(name).Op(0x94).Op(0x93);

    /// <summary>INST 'module name' with the arguments since the last MARK.</summary>
    public PickleBytes Inst(string module, string name) =>
        Op((byte)'i').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    public PickleBytes Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        Op((byte)'X');
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, utf8.Length);
        return Raw(len).Raw(utf8);
    }

    public PickleBytes Bytes(byte[] data)
    {
        Op((byte)'B');
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, data.Length);
        return Raw(len).Raw(data);
    }

    public PickleBytes Int(long value)
    {
        if (value is >= 0 and < 256)
        {
            return Op((byte)'K').Op((byte)value);
        }
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
            return Op((byte)'J').Raw(b);
        }
        var l = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, value);
        return Op(0x8a).Op(8).Raw(l);
    }

    public PickleBytes Bool(bool value) => Op(value ? (byte)0x88 : (byte)0x89);
    public PickleBytes None() => Op((byte)'N');
    public PickleBytes Mark() => Op((byte)'(');
    public PickleBytes Tuple() => Op((byte)'t');
    public PickleBytes EmptyTuple() => Op((byte)')');
    public PickleBytes EmptyDict() => Op((byte)'}');
    public PickleBytes EmptyList() => Op((byte)']');
    public PickleBytes SetItem() => Op((byte)'s');
    public PickleBytes SetItems() => Op((byte)'u');
    public PickleBytes Appends() => Op((byte)'e');
    public PickleBytes Reduce() => Op((byte)'R');
    public PickleBytes Build() => Op((byte)'b');
    public PickleBytes NewObj() => Op(0x81);
    public PickleBytes BinPersId() => Op((byte)'Q');
    public PickleBytes Stop() => Op((byte)'.');

    /// <summary>A tuple of ints: MARK ints TUPLE.</summary>
    public PickleBytes IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values)
        {
            Int(v);
        }
        return Tuple();
    }

    /// <summary>
    /// <c>torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())</c>.
    /// </summary>
    public PickleBytes TorchTensor(string storageType, string key, long numel, long offset, long[] size, long[] stride, bool legacy = false)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel);
        if (legacy)
        {
            None();
        }
        Tuple().BinPersId();
        Int(offset).IntTuple(size).IntTuple(stride).Bool(false);
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => _bytes.ToArray();
}
