using System.Buffers.Binary;
using System.Text;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// Writes zip archives byte by byte, so that their headers can claim what their data is not: sizes that differ from
/// the data, zip64 sizes (negative or huge), two entries of one name, more entries than there are. Entries are stored
/// (method 0) with a correct CRC unless told otherwise.
/// </summary>
internal static class CraftedZip
{
    /// <summary>One entry: its name and data, and optionally the sizes its headers claim instead of the real ones.</summary>
    public sealed record Entry(string Name, byte[] Data)
    {
        public ulong? ClaimedUncompressed { get; init; }
        public ulong? ClaimedCompressed { get; init; }

        /// <summary>Write the sizes as 0xFFFFFFFF with a zip64 extra field holding the (claimed) 64-bit sizes.</summary>
        public bool Zip64 { get; init; }
    }

    /// <summary>The archive; <paramref name="claimedEntries"/> replaces the entry count of the end records (a zip64 end record is written when it exceeds 65535).</summary>
    public static byte[] Write(IReadOnlyList<Entry> entries, ulong? claimedEntries = null)
    {
        using var ms = new MemoryStream();
        var offsets = new List<long>();
        foreach (var e in entries)
        {
            offsets.Add(ms.Position);
            var name = Encoding.UTF8.GetBytes(e.Name);
            var extra = Extra(e);
            Write32(ms, 0x04034b50);
            Write16(ms, 45);                                                 // version needed
            Write16(ms, 0);                                                  // flags
            Write16(ms, 0);                                                  // stored
            Write32(ms, 0);                                                  // time, date
            Write32(ms, Crc32(e.Data));
            WriteSizes(ms, e);
            Write16(ms, (ushort)name.Length);
            Write16(ms, (ushort)extra.Length);
            ms.Write(name);
            ms.Write(extra);
            ms.Write(e.Data);
        }
        long directoryStart = ms.Position;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var name = Encoding.UTF8.GetBytes(e.Name);
            var extra = Extra(e);
            Write32(ms, 0x02014b50);
            Write16(ms, 45);                                                 // version made by
            Write16(ms, 45);                                                 // version needed
            Write16(ms, 0);
            Write16(ms, 0);
            Write32(ms, 0);
            Write32(ms, Crc32(e.Data));
            WriteSizes(ms, e);
            Write16(ms, (ushort)name.Length);
            Write16(ms, (ushort)extra.Length);
            Write16(ms, 0);                                                  // comment
            Write16(ms, 0);                                                  // disk
            Write16(ms, 0);                                                  // internal attributes
            Write32(ms, 0);                                                  // external attributes
            Write32(ms, (uint)offsets[i]);
            ms.Write(name);
            ms.Write(extra);
        }
        long directoryEnd = ms.Position;
        ulong count = claimedEntries ?? (ulong)entries.Count;
        if (count > 0xFFFF)
        {
            long zip64End = ms.Position;
            Write32(ms, 0x06064b50);
            Write64(ms, 44);                                                 // size of the rest of the record
            Write16(ms, 45);
            Write16(ms, 45);
            Write32(ms, 0);                                                  // this disk
            Write32(ms, 0);                                                  // directory disk
            Write64(ms, count);
            Write64(ms, count);
            Write64(ms, (ulong)(directoryEnd - directoryStart));
            Write64(ms, (ulong)directoryStart);
            Write32(ms, 0x07064b50);                                         // locator
            Write32(ms, 0);
            Write64(ms, (ulong)zip64End);
            Write32(ms, 1);                                                  // disks
        }
        Write32(ms, 0x06054b50);
        Write16(ms, 0);
        Write16(ms, 0);
        Write16(ms, (ushort)Math.Min(count, 0xFFFF));
        Write16(ms, (ushort)Math.Min(count, 0xFFFF));
        Write32(ms, (uint)(directoryEnd - directoryStart));
        Write32(ms, count > 0xFFFF ? 0xFFFFFFFF : (uint)directoryStart);
        Write16(ms, 0);                                                      // comment
        return ms.ToArray();
    }

    private static void WriteSizes(Stream s, Entry e)
    {
        if (e.Zip64)
        {
            Write32(s, 0xFFFFFFFF);
            Write32(s, 0xFFFFFFFF);
            return;
        }
        Write32(s, (uint)(e.ClaimedCompressed ?? (ulong)e.Data.Length));
        Write32(s, (uint)(e.ClaimedUncompressed ?? (ulong)e.Data.Length));
    }

    private static byte[] Extra(Entry e)
    {
        if (!e.Zip64) return [];
        var extra = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x0001);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(4), e.ClaimedUncompressed ?? (ulong)e.Data.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(extra.AsSpan(12), e.ClaimedCompressed ?? (ulong)e.Data.Length);
        return extra;
    }

    private static void Write16(Stream s, ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b); }
    private static void Write32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }
    private static void Write64(Stream s, ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
