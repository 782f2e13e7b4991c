using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Nada.Core.Checkpoints.Pickle;

/// <summary>
/// A restricted pickle virtual machine (protocols 0-5). It builds only plain data (dicts, lists, tuples,
/// strings, numbers, bytes, sets) and whatever the allowed globals of <see cref="AllowedGlobals"/> return.
/// Every GLOBAL / STACK_GLOBAL / INST name goes through the allow-list before anything is pushed, so a
/// refused name stops the load before any object is constructed from it; extension codes (EXT1/2/4) and
/// out-of-band buffers are refused. No reflection, no type lookup by name, no code execution.
/// Memory is bounded by the file's <see cref="ReadBudget"/>: every value the machine makes is charged (an estimate of
/// its size: a reference, its box or object header, its characters, bytes or slots) before it goes on the stack, the
/// stack and memo are capped (<see cref="ReadLimits.MaxPickleStack"/>, <see cref="ReadLimits.MaxPickleMemo"/>), and
/// opcodes that announce a length (BINBYTES8, BINUNICODE8, LONG4, FRAME ...) are checked against the bytes left.
/// </summary>
/// <remarks>
/// Razorvine.Pickle is not used as the engine: its unknown-global fallback builds a generic ClassDict,
/// its constructor table is a process-wide static with no hook to refuse a name, and BUILD looks up
/// <c>__setstate__</c> by reflection on the target's runtime type. An allow-list on top of it would rest on a
/// second opcode parser agreeing with it byte for byte.
/// </remarks>
internal sealed class PickleMachine
{
    /// <summary>The highest pickle protocol this reader understands (Python 3.8+ writes 5 at most).</summary>
    public const int HighestProtocol = 5;

    /// <summary>Longest integer accepted (LONG1/LONG4 bytes; Python itself refuses to print longer ones).</summary>
    private const int MaxIntegerBytes = 1024;
    private const int MaxIntegerDigits = 4300;

    /// <summary>Charged for every value pushed: a stack or container slot plus a small object (a boxed number, an array header).</summary>
    private const long ValueCost = 32;
    private const long SlotCost = 16;
    private const long MemoEntryCost = 48;

    private readonly byte[] _data;
    private readonly PickleContext _context;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    private PickleMachine(byte[] data, int start, PickleContext context)
    {
        _data = data;
        _pos = start;
        _context = context;
    }

    /// <summary>Runs one pickle that starts at <paramref name="start"/>; returns its value and where it ended.</summary>
    public static object? Load(byte[] data, int start, PickleContext context, out int end)
    {
        var machine = new PickleMachine(data, start, context);
        var value = machine.Run();
        end = machine._pos;
        return value;
    }

    /// <summary>Runs a pickle that fills <paramref name="data"/> from its start.</summary>
    public static object? Load(byte[] data, PickleContext context) => Load(data, 0, context, out _);

    private object? Run()
    {
        while (true)
        {
            int at = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case (byte)'.': // STOP
                    if (_marks.Count != 0 || _stack.Count != 1)
                    {
                        throw Fail($"malformed pickle: STOP with {_stack.Count} values on the stack");
                    }
                    return _stack[0];
                case 0x80: // PROTO
                    {
                        int proto = ReadByte();
                        if (proto > HighestProtocol)
                        {
                            throw Fail($"unknown pickle protocol {proto} (this reader knows protocols 0 to {HighestProtocol})",
                                "Re-save the checkpoint with a standard PyTorch / Python version");
                        }
                        break;
                    }
                case 0x95: // FRAME: a length hint only; nothing is allocated for it
                    ReadLength8("FRAME");
                    break;
                case (byte)'(': // MARK
                    CheckStackRoom();
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'0': // POP
                    if (_marks.Count > 0 && _marks[^1] == _stack.Count)
                    {
                        _marks.RemoveAt(_marks.Count - 1);
                    }
                    else
                    {
                        Pop();
                    }
                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    PushExisting(Peek());
                    break;

                // ---- constants
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'I': Push(ParseIntLine(ReadLine())); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4))); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2))); break;
                case (byte)'L': Push(ParseLongLine(ReadLine())); break;
                case 0x8a: Push(DecodeLong(ReadSpan(ReadByte()))); break;
                case 0x8b: Push(DecodeLong(ReadSpan(ReadIntegerLength()))); break;
                case (byte)'F':
                    {
                        var text = ReadLine().Trim();
                        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                        {
                            throw Fail($"malformed FLOAT '{Clip(text)}'");
                        }
                        Push(d);
                        break;
                    }
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadSpan(8))); break;

                // ---- strings and bytes
                case (byte)'S': Push(DecodeQuotedString(ReadLine())); break;
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadSpan(ReadLength4("BINSTRING")))); break;
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadSpan(ReadByte()))); break;
                case (byte)'V': Push(DecodeRawUnicodeEscape(ReadLine())); break;
                case (byte)'X': Push(Utf8(ReadSpan(ReadLength4("BINUNICODE")))); break;
                case 0x8c: Push(Utf8(ReadSpan(ReadByte()))); break;
                case 0x8d: Push(Utf8(ReadSpan(ReadLength8("BINUNICODE8")))); break;
                case (byte)'B': Push(ReadSpan(ReadLength4("BINBYTES")).ToArray()); break;
                case (byte)'C': Push(ReadSpan(ReadByte()).ToArray()); break;
                case 0x8e: Push(ReadSpan(ReadLength8("BINBYTES8")).ToArray()); break;
                case 0x96: Push(ReadSpan(ReadLength8("BYTEARRAY8")).ToArray()); break;
                case 0x97: // NEXT_BUFFER
                    throw Fail("the pickle uses out-of-band buffers (protocol 5 NEXT_BUFFER), which a file cannot carry");
                case 0x98: // READONLY_BUFFER
                    break;

                // ---- containers
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'t': Push(PopToMark().ToArray()); break;
                case 0x85: { var a = Pop(); Push(new[] { a }); break; }
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(PopToMark()); break;
                case (byte)'a': { var v = Pop(); TargetList().Add(v); break; } // the value was charged when pushed
                case (byte)'e': { var items = PopToMark(); TargetList().AddRange(items); break; }
                case (byte)'}': Push(new Dictionary<string, object?>()); break;
                case (byte)'d':
                    {
                        var items = PopToMark();
                        var dict = new Dictionary<string, object?>();
                        SetItems(dict, items);
                        Push(dict);
                        break;
                    }
                case (byte)'s':
                    {
                        var value = Pop();
                        var key = Pop();
                        SetItems(TargetDict(), new List<object?> { key, value });
                        break;
                    }
                case (byte)'u':
                    {
                        var items = PopToMark();
                        SetItems(TargetDict(), items);
                        break;
                    }
                case 0x8f: Push(new HashSet<object>()); break;
                case 0x90:
                    {
                        var items = PopToMark();
                        if (Peek() is not HashSet<object> set)
                        {
                            throw Fail("malformed pickle: ADDITEMS on something that is not a set");
                        }
                        AddToSet(set, items);
                        break;
                    }
                case 0x91:
                    {
                        var items = PopToMark();
                        var set = new HashSet<object>();
                        AddToSet(set, items);
                        Push(set);
                        break;
                    }

                // ---- memo
                case (byte)'p': MemoPut(ParseMemoIndex(ReadLine())); break;
                case (byte)'q': MemoPut(ReadByte()); break;
                case (byte)'r': MemoPut(BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4))); break;
                case 0x94: MemoPut(_memo.Count); break;
                case (byte)'g': MemoGet(ParseMemoIndex(ReadLine())); break;
                case (byte)'h': MemoGet(ReadByte()); break;
                case (byte)'j': MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4))); break;

                // ---- globals and object construction
                case (byte)'c':
                    {
                        var module = ReadLine();
                        var name = ReadLine();
                        Push(AllowedGlobals.Resolve(_context, module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string m || name is not string n)
                        {
                            throw Fail("malformed pickle: STACK_GLOBAL needs two strings");
                        }
                        Push(AllowedGlobals.Resolve(_context, m, n));
                        break;
                    }
                case (byte)'i': // INST module\nname\n with args since MARK
                    {
                        var module = ReadLine();
                        var name = ReadLine();
                        var callable = AllowedGlobals.Resolve(_context, module, name);
                        var args = PopToMark().ToArray();
                        Push(callable.New(_context, args));
                        break;
                    }
                case (byte)'o': // OBJ: class and args since MARK
                    {
                        var items = PopToMark();
                        if (items.Count == 0)
                        {
                            throw Fail("malformed pickle: OBJ without a class");
                        }
                        var callable = AsCallable(items[0], "OBJ");
                        Push(callable.New(_context, items.Skip(1).ToArray()));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        var args = Pop();
                        var callable = AsCallable(Pop(), "REDUCE");
                        Push(callable.Call(_context, AsArgs(args, callable)));
                        break;
                    }
                case 0x81: // NEWOBJ
                    {
                        var args = Pop();
                        var callable = AsCallable(Pop(), "NEWOBJ");
                        Push(callable.New(_context, AsArgs(args, callable)));
                        break;
                    }
                case 0x92: // NEWOBJ_EX
                    {
                        var kwargs = Pop();
                        var args = Pop();
                        var callable = AsCallable(Pop(), "NEWOBJ_EX");
                        if (kwargs is not Dictionary<string, object?> { Count: 0 })
                        {
                            throw Fail($"{callable.QualifiedName} is constructed with keyword arguments, which this reader does not accept");
                        }
                        Push(callable.New(_context, AsArgs(args, callable)));
                        break;
                    }
                case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        Build(Peek(), state);
                        break;
                    }
                case (byte)'P': Push(_context.PersistentLoad(ReadLine())); break;
                case (byte)'Q': Push(_context.PersistentLoad(Pop())); break;
                case 0x82:
                case 0x83:
                case 0x84:
                    throw Fail("the pickle uses copyreg extension codes (EXT1/EXT2/EXT4), which name arbitrary globals; refused");
                default:
                    throw Fail($"invalid pickle opcode 0x{op:x2} at byte {at}", "The file is corrupt or not a pickle");
            }
        }
    }

    // ------------------------------------------------------------------ stack helpers

    /// <summary>Pushes a value the machine has just made, charging the budget for it first.</summary>
    private void Push(object? value)
    {
        CheckStackRoom();
        _context.Charge(Cost(value), "a pickle value");
        _stack.Add(value);
    }

    /// <summary>Pushes another reference to a value already made (DUP, memo reads): only its slot is charged.</summary>
    private void PushExisting(object? value)
    {
        CheckStackRoom();
        _context.Charge(SlotCost, "a pickle value");
        _stack.Add(value);
    }

    private void CheckStackRoom()
    {
        int limit = _context.Limits.MaxPickleStack;
        if (_stack.Count + _marks.Count >= limit)
        {
            throw Fail($"the pickle holds more than {limit} values and marks on its stack at once (ReadLimits.MaxPickleStack)",
                ReadBudget.OverLimitAdvice);
        }
    }

    /// <summary>
    /// About what a new value occupies: a slot and a small object, plus its characters, bytes or element slots.
    /// Containers made by copying (OrderedDict(d), set(list), bytearray(b)) are charged for every element.
    /// </summary>
    private static long Cost(object? value) => ValueCost + value switch
    {
        string text => 2L * text.Length,
        byte[] bytes => bytes.LongLength,
        object?[] tuple => 8L * tuple.Length,
        List<object?> list => 32 + 8L * list.Count,
        Dictionary<string, object?> dict => 48 + MemoEntryCost * dict.Count,
        HashSet<object> set => 48 + 32L * set.Count,
        PickledObject record => 48 + MemoEntryCost * record.State.Count,
        BigInteger big => big.GetByteCount(),
        _ => 0,
    };

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
        {
            throw Fail("malformed pickle: stack underflow");
        }
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
        {
            throw Fail("malformed pickle: stack underflow");
        }
        return _stack[^1];
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0)
        {
            throw Fail("malformed pickle: no MARK on the stack");
        }
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void PopMark() => PopToMark();

    private List<object?> TargetList() =>
        Peek() as List<object?> ?? throw Fail("malformed pickle: APPEND to something that is not a list");

    private Dictionary<string, object?> TargetDict() =>
        Peek() as Dictionary<string, object?> ?? throw Fail("malformed pickle: SETITEM on something that is not a dict");

    private void SetItems(Dictionary<string, object?> dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
        {
            throw Fail("malformed pickle: odd number of dict items");
        }
        for (int i = 0; i < items.Count; i += 2)
        {
            dict[DictKey(items[i])] = items[i + 1];
        }
    }

    /// <summary>Dict keys become strings: str as is, integers in decimal, bool/None/float as Python prints them.</summary>
    private string DictKey(object? key) => key switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        null => "None",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => throw Fail($"dict key of type {PyRepr.Describe(key)} is not supported (only str, int, float, bool, None)"),
    };

    private void AddToSet(HashSet<object> set, List<object?> items)
    {
        foreach (var item in items)
        {
            if (item is not (string or long or bool or double or BigInteger))
            {
                throw Fail($"set element of type {PyRepr.Describe(item)} is not supported");
            }
            set.Add(item);
        }
    }

    private void MemoPut(long index)
    {
        int limit = _context.Limits.MaxPickleMemo;
        if (_memo.Count >= limit && !_memo.ContainsKey(index))
        {
            throw Fail($"the pickle memoises more than {limit} values (ReadLimits.MaxPickleMemo)", ReadBudget.OverLimitAdvice);
        }
        _context.Charge(MemoEntryCost, "a pickle memo entry");
        _memo[index] = Peek();
    }

    private void MemoGet(long index)
    {
        if (!_memo.TryGetValue(index, out var value))
        {
            throw Fail($"malformed pickle: memo entry {index} read before it was written");
        }
        PushExisting(value);
    }

    private PyCallable AsCallable(object? value, string opcode) =>
        value as PyCallable ?? throw Fail($"malformed pickle: {opcode} on {PyRepr.Describe(value)}, which is not a class or function");

    private object?[] AsArgs(object? args, PyCallable callable) =>
        args as object?[] ?? throw Fail($"malformed pickle: arguments of {callable.QualifiedName} are not a tuple");

    private void Build(object? target, object? state)
    {
        switch (target)
        {
            case IPyStateful stateful:
                stateful.SetState(_context, state);
                break;
            case PickledObject { State: Dictionary<string, object?> attributes }:
                // A record's attributes: a dict, or (dict, slots dict) as Python writes for __slots__ classes.
                foreach (var part in state is object?[] { Length: 2 } pair ? pair : new[] { state })
                {
                    if (part is Dictionary<string, object?> dict)
                    {
                        _context.Charge(MemoEntryCost * dict.Count, "a pickled object's attributes");
                        foreach (var (k, v) in dict)
                        {
                            attributes[k] = v;
                        }
                    }
                    else if (part is not null)
                    {
                        attributes["__state__"] = part;
                    }
                }
                break;
            case Dictionary<string, object?>:
                // OrderedDict / EasyDict instance attributes (e.g. a state dict's _metadata): not items, dropped.
                if (state is not (null or Dictionary<string, object?> or object?[]))
                {
                    throw Fail($"unexpected BUILD state {PyRepr.Describe(state)} for a dict");
                }
                break;
            default:
                throw Fail($"the pickle sets the state of {PyRepr.Describe(target)}, which has no settable state");
        }
    }

    // ------------------------------------------------------------------ reading

    private byte ReadByte()
    {
        if (_pos >= _data.Length)
        {
            throw Truncated();
        }
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadSpan(long count)
    {
        if (count < 0 || count > _data.Length - _pos)
        {
            throw Truncated();
        }
        var span = new ReadOnlySpan<byte>(_data, _pos, (int)count);
        _pos += (int)count;
        return span;
    }

    /// <summary>A 4-byte length announced by <paramref name="opcode"/>, refused when more than the bytes left.</summary>
    private int ReadLength4(string opcode)
    {
        long n = BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4));
        if (n > _data.Length - _pos)
        {
            throw LengthBeyondData(opcode, (ulong)n);
        }
        return (int)n;
    }

    /// <summary>An 8-byte length announced by <paramref name="opcode"/>, refused when more than the bytes left.</summary>
    private long ReadLength8(string opcode)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadSpan(8));
        if (n > (ulong)(_data.Length - _pos))
        {
            throw LengthBeyondData(opcode, n);
        }
        return (long)n;
    }

    private int ReadIntegerLength()
    {
        int n = ReadLength4("LONG4");
        if (n > MaxIntegerBytes)
        {
            throw Fail($"LONG4 announces a {n}-byte integer; checkpoints hold none longer than {MaxIntegerBytes} bytes", "The file is corrupt or not a checkpoint");
        }
        return n;
    }

    private CheckpointException LengthBeyondData(string opcode, ulong claimed) =>
        Fail($"{opcode} at byte {_pos} claims {claimed} bytes, but only {_data.Length - _pos} are left in the pickle (file truncated or corrupt)",
            "Download or copy the file again");

    private string ReadLine()
    {
        int nl = Array.IndexOf(_data, (byte)'\n', _pos);
        if (nl < 0)
        {
            throw Truncated();
        }
        _context.Charge(ValueCost + 2L * (nl - _pos), "a pickle text line");
        var text = Encoding.UTF8.GetString(_data, _pos, nl - _pos);
        _pos = nl + 1;
        return text.EndsWith('\r') ? text[..^1] : text;
    }

    private CheckpointException Truncated() =>
        Fail($"the pickle ends at byte {_data.Length} before its STOP opcode (file truncated or not a pickle)",
            "Download or copy the file again");

    private CheckpointException Fail(string problem, string? advice = null) => _context.Fail(problem, advice);

    private static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";

    // ------------------------------------------------------------------ number and text decoding

    private static object DecodeLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return 0L;
        }
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private object ParseIntLine(string text)
    {
        if (text == "00") return false;
        if (text == "01") return true;
        return ParseLongLine(text);
    }

    private object ParseLongLine(string text)
    {
        var t = text.EndsWith('L') ? text[..^1] : text;
        if (t.Length > MaxIntegerDigits)
        {
            throw Fail($"an integer of {t.Length} digits; checkpoints hold none longer than {MaxIntegerDigits}", "The file is corrupt or not a checkpoint");
        }
        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b)) return b;
        throw Fail($"malformed integer '{Clip(text)}'");
    }

    private long ParseMemoIndex(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
            : throw Fail($"malformed memo index '{Clip(text)}'");

    private string DecodeQuotedString(string text)
    {
        if (text.Length < 2 || (text[0] != '\'' && text[0] != '"') || text[^1] != text[0])
        {
            throw Fail("malformed STRING opcode (not quoted)");
        }
        var body = text[1..^1];
        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\' || i + 1 >= body.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = body[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'x' when i + 2 < body.Length:
                    sb.Append((char)Convert.ToInt32(body.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        return sb.ToString();
    }

    private static string DecodeRawUnicodeEscape(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 5 < text.Length && text[i + 1] == 'u')
            {
                sb.Append((char)Convert.ToInt32(text.Substring(i + 2, 4), 16));
                i += 5;
            }
            else
            {
                sb.Append(text[i]);
            }
        }
        return sb.ToString();
    }
}
