using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// Image files a few hundred bytes long whose headers claim huge pixel counts, written byte by byte: a decoder that
/// believes them allocates (and fills) the claimed size. Each is a well-formed file of its format as far as the
/// header goes; the pixel data is short or trivially compressible.
/// </summary>
internal static class ImageBombs
{
    /// <summary>Every image bomb, by name: what it is.</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["png-100000"] = "PNG claiming 100000 x 100000 RGB pixels, with a few rows of data",
        ["png-interlaced"] = "interlaced PNG claiming 12000 x 12000 RGB pixels (not streamable; decoded whole)",
        ["bmp-12000"] = "BMP claiming 12000 x 12000 24-bit pixels and holding none",
        ["jpeg-progressive"] = "progressive JPEG claiming 12000 x 12000 (its decoder buffers every coefficient)",
        ["webp-lossless"] = "lossless WebP claiming 12000 x 12000 whose one-symbol prefix codes decode every pixel from no bits",
    };

    /// <summary>Writes bomb <paramref name="name"/> to <paramref name="path"/>.</summary>
    public static void Write(string name, string path) => File.WriteAllBytes(path, name switch
    {
        "png-100000" => Png(100_000, 100_000, interlaced: false),
        "png-interlaced" => Png(12_000, 12_000, interlaced: true),
        "bmp-12000" => Bmp(12_000, 12_000),
        "jpeg-progressive" => ProgressiveJpeg(12_000, 12_000),
        "webp-lossless" => LosslessWebp(12_000, 12_000),
        _ => throw new ArgumentException($"no image bomb '{name}'", nameof(name)),
    });

    /// <summary>An 8-bit RGB PNG header for width x height with 4 zero rows of data.</summary>
    public static byte[] Png(int width, int height, bool interlaced)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;                                                         // bit depth
        ihdr[9] = 2;                                                         // RGB
        ihdr[12] = (byte)(interlaced ? 1 : 0);                               // Adam7
        Chunk(ms, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(new byte[4 * (1 + 3L * Math.Min(width, 1 << 20))]);
        }
        Chunk(ms, "IDAT", compressed.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32([.. typeBytes, .. data]));
        s.Write(word);
    }

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

    /// <summary>BITMAPFILEHEADER + BITMAPINFOHEADER for a bottom-up 24-bit image, and no pixel data.</summary>
    public static byte[] Bmp(int width, int height)
    {
        var b = new byte[54];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);       // file size
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);           // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);           // info header size
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);            // planes
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);           // bits per pixel
        return b;
    }

    /// <summary>
    /// A progressive JPEG (SOF2) of 3 full-resolution components: one DC-only first scan whose Huffman table has a
    /// single 1-bit code, then a few bytes of entropy data. libjpeg allocates the coefficients of the whole image
    /// (2 bytes x 64 per 8x8 block per component) before it reads the scan.
    /// </summary>
    public static byte[] ProgressiveJpeg(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0xFF, 0xD8]);                                              // SOI
        ms.Write([0xFF, 0xDB, 0x00, 0x43, 0x00]);                            // DQT, table 0
        ms.Write(Enumerable.Repeat((byte)1, 64).ToArray());
        ms.Write([0xFF, 0xC2, 0x00, 0x11, 0x08]);                            // SOF2, 8-bit
        ms.Write([(byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width]);
        ms.Write([0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]);
        ms.Write([0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01]);                      // DHT DC 0: one code of length 1
        ms.Write(new byte[15]);
        ms.Write([0x00]);                                                    // ... for category 0
        ms.Write([0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00]); // SOS: DC first
        ms.Write(new byte[64]);                                              // entropy data: zero DC differences
        ms.Write([0xFF, 0xD9]);                                              // EOI
        return ms.ToArray();
    }

    /// <summary>
    /// A lossless WebP (VP8L) of width x height: no transforms, no colour cache, and five prefix codes that each
    /// have one symbol, so every pixel decodes from zero bits. libwebp keeps the whole ARGB image while decoding.
    /// </summary>
    public static byte[] LosslessWebp(int width, int height)
    {
        var bits = new BitWriter();
        bits.Write(0x2f, 8);                                                 // VP8L signature
        bits.Write((uint)(width - 1), 14);
        bits.Write((uint)(height - 1), 14);
        bits.Write(0, 1);                                                    // alpha not used
        bits.Write(0, 3);                                                    // version 0
        bits.Write(0, 1);                                                    // no transform
        bits.Write(0, 1);                                                    // no colour cache
        bits.Write(0, 1);                                                    // no meta prefix codes
        for (int code = 0; code < 5; code++)
        {
            bits.Write(1, 1);                                                // simple code
            bits.Write(0, 1);                                                // one symbol
            bits.Write(0, 1);                                                // 1-bit symbol
            bits.Write(0, 1);                                                // symbol 0
        }
        var vp8l = bits.ToArray();
        using var ms = new MemoryStream();
        int padded = vp8l.Length + (vp8l.Length & 1);
        ms.Write("RIFF"u8);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(word, 4 + 8 + padded);
        ms.Write(word);
        ms.Write("WEBPVP8L"u8);
        BinaryPrimitives.WriteInt32LittleEndian(word, vp8l.Length);
        ms.Write(word);
        ms.Write(vp8l);
        if ((vp8l.Length & 1) != 0) ms.WriteByte(0);
        return ms.ToArray();
    }

    /// <summary>Least-significant-bit-first bit packing (VP8L's order).</summary>
    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = new();
        private int _used = 8;

        public void Write(uint value, int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (_used == 8)
                {
                    _bytes.Add(0);
                    _used = 0;
                }
                if (((value >> i) & 1) != 0) _bytes[^1] |= (byte)(1 << _used);
                _used++;
            }
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
