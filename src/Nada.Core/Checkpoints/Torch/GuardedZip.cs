using System.Buffers.Binary;
using System.IO.Compression;
using Nada.Core.Checkpoints.Pickle;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// A zip archive (torch.save, TorchScript) opened under a file's <see cref="ReadBudget"/>. Before
/// <see cref="ZipArchive"/> parses anything, the end-of-central-directory records (zip64 included) must list at most
/// <see cref="ReadLimits.MaxZipEntries"/> entries in a directory that fits in the file (.NET reads at most the listed
/// number); then every entry's claimed sizes must be non-negative and its compressed data must fit in the file, and
/// no name may appear twice. Entries are read only through <see cref="ReadInto"/> and <see cref="ReadAll"/>, which
/// charge the budget before they allocate and never read past what the entry claims.
/// </summary>
/// <remarks>
/// Built on System.IO.Compression, which parses zip64 and limits a deflated entry's output to its claimed size, but
/// allocates nothing on our behalf only if nobody trusts <see cref="ZipArchiveEntry.Length"/>: hence this wrapper
/// instead of handing entries out.
/// </remarks>
internal sealed class GuardedZip : IDisposable
{
    private const uint EndOfDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;

    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _byName;

    private GuardedZip(ZipArchive zip, Dictionary<string, ZipArchiveEntry> byName)
    {
        _zip = zip;
        _byName = byName;
    }

    /// <summary>Checks and opens the zip archive in <paramref name="stream"/> (left open), or refuses naming the file.</summary>
    public static GuardedZip Open(Stream stream, PickleContext context)
    {
        CheckDirectoryClaims(stream, context);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw context.Fail($"the zip archive is truncated or corrupt ({e.Message})", "Download or copy the file again", e);
        }
        try
        {
            var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                if (!byName.TryAdd(entry.FullName, entry))
                {
                    throw context.Fail($"entry '{Printable(entry.FullName)}' appears twice in the zip archive",
                        "The file is corrupt or was built to confuse readers; PyTorch never writes two entries of one name");
                }
                if (entry.Length < 0 || entry.CompressedLength < 0)
                {
                    throw context.Fail($"entry '{Printable(entry.FullName)}' claims a negative size (zip64 header {entry.CompressedLength} compressed, {entry.Length} uncompressed)",
                        "The file is corrupt");
                }
                if (entry.CompressedLength > stream.Length)
                {
                    throw context.Fail($"entry '{Printable(entry.FullName)}' claims {ReadBudget.Size(entry.CompressedLength)} of compressed data, more than the whole file ({ReadBudget.Size(stream.Length)})",
                        "The file is truncated or corrupt");
                }
            }
            return new GuardedZip(zip, byName);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>The entries in archive order.</summary>
    public IReadOnlyCollection<ZipArchiveEntry> Entries => _zip.Entries;

    /// <summary>The entry of that exact name, or null.</summary>
    public ZipArchiveEntry? GetEntry(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Reads the first <c>destination.Length</c> bytes of <paramref name="entry"/> into <paramref name="destination"/>
    /// (the caller has checked the entry claims at least that many and charged the budget).
    /// </summary>
    public static void ReadInto(ZipArchiveEntry entry, Span<byte> destination, PickleContext context)
    {
        if (entry.Length < destination.Length)
        {
            throw context.Fail($"entry '{entry.FullName}' holds {ReadBudget.Size(entry.Length)} but {ReadBudget.Size(destination.Length)} are needed",
                "The file is truncated or corrupt; download it again");
        }
        try
        {
            using var stream = entry.Open();
            int read = 0;
            while (read < destination.Length)
            {
                int n = stream.Read(destination[read..]);
                if (n == 0)
                {
                    throw context.Fail($"entry '{entry.FullName}' ends after {ReadBudget.Size(read)} although it claims {ReadBudget.Size(entry.Length)}",
                        "The file is truncated or corrupt; download it again");
                }
                read += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw context.Fail($"entry '{entry.FullName}' cannot be read ({e.Message})", "The file is truncated or corrupt; download it again", e);
        }
    }

    /// <summary>
    /// The whole of <paramref name="entry"/> (<paramref name="what"/> in messages), at most <paramref name="maxBytes"/>
    /// (the limit named <paramref name="limitName"/> in messages),
    /// charged to the budget before it is allocated; an entry whose data ends before its claimed size is refused, and
    /// nothing past the claimed size is read.
    /// </summary>
    public static byte[] ReadAll(ZipArchiveEntry entry, string what, long maxBytes, string limitName, PickleContext context)
    {
        if (entry.Length > maxBytes)
        {
            throw context.Fail($"{what} '{entry.FullName}' claims {ReadBudget.Size(entry.Length)}, more than such an entry may have ({limitName} = {ReadBudget.Size(maxBytes)})",
                ReadBudget.OverLimitAdvice);
        }
        context.Charge(entry.Length, $"{what} '{entry.FullName}'");
        var buffer = new byte[entry.Length];
        ReadInto(entry, buffer, context);
        return buffer;
    }

    public void Dispose() => _zip.Dispose();

    /// <summary>Refuses an archive whose end-of-central-directory records list too many entries or a directory larger than the file.</summary>
    private static void CheckDirectoryClaims(Stream stream, PickleContext context)
    {
        long length = stream.Length;
        int tail = (int)Math.Min(length, 22 + 65535);
        var buffer = new byte[tail];
        stream.Position = length - tail;
        stream.ReadExactly(buffer);
        stream.Position = 0;
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)) == EndOfDirectorySignature)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0)
        {
            return;                                                          // ZipArchive reports the archive as corrupt
        }
        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(eocd + 10));
        ulong directoryBytes = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(eocd + 12));
        int locator = eocd - 20;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(locator)) == Zip64LocatorSignature)
        {
            ulong zip64At = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(locator + 8));
            if (zip64At <= (ulong)length - 56)
            {
                Span<byte> record = stackalloc byte[56];
                stream.Position = (long)zip64At;
                stream.ReadExactly(record);
                stream.Position = 0;
                if (BinaryPrimitives.ReadUInt32LittleEndian(record) == Zip64EndSignature)
                {
                    entries = Math.Max(entries, BinaryPrimitives.ReadUInt64LittleEndian(record[32..]));
                    directoryBytes = Math.Max(directoryBytes, BinaryPrimitives.ReadUInt64LittleEndian(record[40..]));
                }
            }
        }
        if (entries > (ulong)context.Limits.MaxZipEntries)
        {
            throw context.Fail($"the zip archive lists {entries} entries, more than an archive may have (ReadLimits.MaxZipEntries = {context.Limits.MaxZipEntries})",
                ReadBudget.OverLimitAdvice);
        }
        if (directoryBytes > (ulong)length)
        {
            throw context.Fail($"the zip archive's directory claims {directoryBytes} bytes, more than the whole file ({ReadBudget.Size(length)})",
                "The file is truncated or corrupt");
        }
    }

    private static string Printable(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 120 ? clean : clean[..120] + "...";
    }
}
