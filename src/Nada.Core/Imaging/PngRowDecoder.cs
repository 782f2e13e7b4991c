using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Nada.Core.Imaging;

/// <summary>
/// Decodes a huge non-interlaced PNG row by row straight into a box-averaged, smaller RGBA bitmap, so a
/// 12000 x 12000 photo needs one source row of memory instead of half a gigabyte (Skia decodes PNGs only at
/// full size). Handles 8- and 16-bit gray, gray+alpha, RGB, RGBA and 8-bit palette images; anything else
/// returns null and the caller decodes it the ordinary way.
/// </summary>
internal static class PngRowDecoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>True when <paramref name="png"/> (read from its current position) is a PNG this decoder streams.</summary>
    public static bool CanStream(Stream png) => ReadHeader(png) is not null;

    /// <summary>Width, height, bit depth and colour type from the signature and IHDR, or null for a PNG this decoder leaves to Skia.</summary>
    private static (int Width, int Height, int Depth, int ColorType)? ReadHeader(Stream fs)
    {
        Span<byte> sig = stackalloc byte[8];
        if (fs.Read(sig) != 8 || !sig.SequenceEqual(Signature)) return null;
        var (type, ihdr) = ReadChunkHeaderAndData(fs);
        if (type != "IHDR" || ihdr.Length != 13) return null;
        int width = BinaryPrimitives.ReadInt32BigEndian(ihdr), height = BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4));
        int depth = ihdr[8], colorType = ihdr[9], interlace = ihdr[12];
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || interlace != 0 || width <= 0 || height <= 0) return null;
        if (!(depth == 8 || (depth == 16 && colorType != 3))) return null;
        return (width, height, depth, colorType);
    }

    /// <summary>The image averaged over factor x factor blocks (RGBA8 unpremultiplied), or null when the PNG is of a kind this decoder leaves to Skia.</summary>
    public static SKBitmap? DecodeAveraged(string path, int factor)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (ReadHeader(fs) is not var (width, height, depth, colorType)) return null;
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

        byte[]? palette = null, paletteAlpha = null;
        while (true)
        {
            long chunkStart = fs.Position;
            var (name, length) = ReadChunkHeader(fs);
            if (name == "IDAT")
            {
                fs.Position = chunkStart;
                break;
            }
            if (name == "IEND" || length < 0) throw new InvalidDataException("the PNG has no image data");
            if (name == "PLTE" || name == "tRNS")
            {
                // At most 256 entries (768 and 256 bytes); a larger claim is corrupt, not something to allocate.
                if (length > 768 || length > fs.Length - fs.Position) throw new InvalidDataException($"the PNG {name} chunk claims {length} bytes (at most 768)");
                var data = new byte[length];
                fs.ReadExactly(data);
                fs.Position += 4;                                     // CRC
                if (name == "PLTE") palette = data;
                else paletteAlpha = data;
            }
            else
            {
                fs.Position += length + 4L;
            }
        }
        if (colorType == 3 && palette is null) throw new InvalidDataException("the PNG palette is missing");

        int bpp = channels * depth / 8;                               // bytes per pixel
        int stride = checked(width * bpp);
        int outW = Math.Max(1, width / factor), outH = Math.Max(1, height / factor);
        var result = new SKBitmap(new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        try
        {
            using var zlib = new ZLibStream(new IdatStream(fs), CompressionMode.Decompress);
            var prev = new byte[stride];
            var cur = new byte[stride];
            var sums = new long[outW * 4];
            var outRow = new byte[outW * 4];
            Span<byte> rgba = stackalloc byte[4];
            for (int oy = 0; oy < outH; oy++)
            {
                Array.Clear(sums);
                for (int dy = 0; dy < factor; dy++)
                {
                    int filter = zlib.ReadByte();
                    if (filter < 0) throw new InvalidDataException($"the image data ends early (row {oy * factor + dy} of {height})");
                    zlib.ReadExactly(cur);
                    Unfilter(filter, cur, prev, bpp);
                    for (int ox = 0, x = 0; ox < outW; ox++)
                    {
                        for (int dx = 0; dx < factor; dx++, x++)
                        {
                            Pixel(cur, x, colorType, depth, palette, paletteAlpha, rgba);
                            for (int c = 0; c < 4; c++) sums[ox * 4 + c] += rgba[c];
                        }
                    }
                    (prev, cur) = (cur, prev);
                }
                long n = (long)factor * factor;
                for (int i = 0; i < outRow.Length; i++) outRow[i] = (byte)((sums[i] + n / 2) / n);
                Marshal.Copy(outRow, 0, result.GetPixels() + oy * result.RowBytes, outRow.Length);
            }
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            result.Dispose();
            throw new InvalidDataException($"the image data is corrupt ({e.Message})", e);
        }
    }

    private static void Unfilter(int filter, byte[] cur, byte[] prev, int bpp)
    {
        switch (filter)
        {
            case 0: break;
            case 1: for (int i = bpp; i < cur.Length; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < cur.Length; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < cur.Length; i++) cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < cur.Length; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
            default: throw new InvalidDataException($"unknown PNG row filter {filter}");
        }
    }

    /// <summary>RGBA8 of pixel x of an unfiltered row (16-bit samples keep their high byte).</summary>
    private static void Pixel(byte[] row, int x, int colorType, int depth, byte[]? palette, byte[]? paletteAlpha, Span<byte> rgba)
    {
        int s = depth / 8;                                            // bytes per sample
        switch (colorType)
        {
            case 0:
                rgba[0] = rgba[1] = rgba[2] = row[x * s];
                rgba[3] = 255;
                break;
            case 2:
                rgba[0] = row[x * 3 * s];
                rgba[1] = row[(x * 3 + 1) * s];
                rgba[2] = row[(x * 3 + 2) * s];
                rgba[3] = 255;
                break;
            case 3:
                int index = row[x];
                int o = index * 3;
                if (o + 2 >= palette!.Length) throw new InvalidDataException($"palette index {index} is out of range");
                rgba[0] = palette[o];
                rgba[1] = palette[o + 1];
                rgba[2] = palette[o + 2];
                rgba[3] = paletteAlpha is not null && index < paletteAlpha.Length ? paletteAlpha[index] : (byte)255;
                break;
            case 4:
                rgba[0] = rgba[1] = rgba[2] = row[x * 2 * s];
                rgba[3] = row[(x * 2 + 1) * s];
                break;
            default:
                for (int c = 0; c < 4; c++) rgba[c] = row[(x * 4 + c) * s];
                break;
        }
    }

    private static (string Type, int Length) ReadChunkHeader(Stream s)
    {
        Span<byte> head = stackalloc byte[8];
        if (s.Read(head) != 8) return ("", -1);
        return (System.Text.Encoding.ASCII.GetString(head[4..]), BinaryPrimitives.ReadInt32BigEndian(head));
    }

    private static (string Type, byte[] Data) ReadChunkHeaderAndData(Stream s)
    {
        var (type, length) = ReadChunkHeader(s);
        if (length is < 0 or > 1 << 20) return ("", []);
        var data = new byte[length];
        s.ReadExactly(data);
        s.Position += 4;
        return (type, data);
    }

    /// <summary>The concatenated data of consecutive IDAT chunks, read on demand.</summary>
    private sealed class IdatStream(Stream file) : Stream
    {
        private int remaining;
        private bool done;

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (remaining == 0 && !done)
            {
                var (type, length) = ReadChunkHeader(file);
                if (type != "IDAT" || length < 0)
                {
                    done = true;
                    break;
                }
                remaining = length;
                if (length == 0) file.Position += 4;
            }
            if (done) return 0;
            int n = file.Read(buffer, offset, Math.Min(count, remaining));
            if (n <= 0) throw new EndOfStreamException("the PNG file is truncated");
            remaining -= n;
            if (remaining == 0) file.Position += 4;                   // CRC
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
