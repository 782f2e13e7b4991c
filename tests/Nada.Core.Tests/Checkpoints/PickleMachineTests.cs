using System.Numerics;
using System.Text;
using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.Pickle;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Opcode-level behaviour of the restricted unpickler on plain values.</summary>
public class PickleMachineTests
{
    private static object? Load(byte[] bytes) => PickleMachine.Load(bytes, new PickleContext("test.pkl"));

    [Fact]
    public void LongOpcodesGiveLongOrBigInteger()
    {
        Assert.Equal(1L << 40, Load(new PickleBytes(2).Int(1L << 40).Stop().ToArray()));
        Assert.Equal(-5L, Load(new PickleBytes(2).Int(-5).Stop().ToArray()));
        var big = new PickleBytes(2).Op(0x8a).Op(9).Raw(0, 0, 0, 0, 0, 0, 0, 0, 1).Stop().ToArray(); // 2^64
        Assert.Equal(BigInteger.One << 64, Load(big));
    }

    [Fact]
    public void Protocol0TextOpcodes()
    {
        var text = "(lp0\nI42\naI01\naL12345678901234567890L\naF0.5\naS'it\\'s'\naVcaf\\u00e9\na.";
        var list = Assert.IsType<List<object?>>(Load(Encoding.Latin1.GetBytes(text)));
        Assert.Equal(new object?[] { 42L, true, BigInteger.Parse("12345678901234567890"), 0.5, "it's", "café" }, list.ToArray());
    }

    [Fact]
    public void MemoSharesObjects()
    {
        // [d, d] where d is the same dict (BINPUT / BINGET)
        var bytes = new PickleBytes(2).EmptyList().Mark().EmptyDict().Op((byte)'q').Op(1).Op((byte)'h').Op(1).Appends().Stop().ToArray();
        var list = Assert.IsType<List<object?>>(Load(bytes));
        Assert.Same(list[0], list[1]);
    }

    [Fact]
    public void StackUnderflowIsAnErrorNotACrash()
    {
        var e = Assert.Throws<CheckpointException>(() => Load(new PickleBytes(2).Reduce().Stop().ToArray()));
        Assert.Contains("test.pkl", e.Message);
    }
}
