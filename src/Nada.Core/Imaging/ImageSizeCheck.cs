using System.Buffers.Binary;
using SkiaSharp;

namespace Nada.Core.Imaging;

/// <summary>
/// Refuses an image whose header claims more pixels than <see cref="ReadLimits"/> allow, before any pixel is decoded.
/// Two limits, because decoders differ in what they hold: a non-interlaced PNG is streamed row by row
/// (<see cref="PngRowDecoder"/>) and a sequential JPEG is decoded downscaled scanline by scanline, so they may claim
/// up to <see cref="ReadLimits.MaxImagePixels"/>; every other image is held whole by its decoder, whatever size it is
/// decoded at (an interlaced PNG, the DCT coefficients of a progressive JPEG, the ARGB image of a lossless WebP, GIF,
/// BMP), so it may claim at most <see cref="ReadLimits.MaxFullDecodePixels"/>.
/// </summary>
/// <remarks>SkiaSharp reports the claimed size and format but neither a JPEG's frame type nor a PNG's interlace flag,
/// so the few header bytes that tell are read here.</remarks>
internal static class ImageSizeCheck
{
    /// <summary>
    /// Checks the image of <paramref name="codec"/>, whose encoded bytes <paramref name="encoded"/> (seekable; its
    /// position is restored) holds; throws <see cref="InvalidDataException"/> with a reason naming the limit.
    /// </summary>
    public static void Check(SKCodec codec, Stream encoded, ReadLimits limits)
    {
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (pixels > limits.MaxImagePixels)
        {
            throw new InvalidDataException(
                $"it claims {info.Width}x{info.Height} pixels, more than any image may have (ReadLimits.MaxImagePixels = {limits.MaxImagePixels}); resize it");
        }
        if (pixels > limits.MaxFullDecodePixels && HeldWhole(codec.EncodedFormat, encoded) is { } kind)
        {
            throw new InvalidDataException(
                $"it claims {info.Width}x{info.Height} pixels, and {kind} is decoded whole, which is allowed up to {limits.MaxFullDecodePixels} pixels " +
                "(ReadLimits.MaxFullDecodePixels); resize it, or save it as a non-interlaced PNG or a baseline JPEG");
        }
    }

    /// <summary>Null when the image can be decoded without holding all of it; otherwise what kind of image it is.</summary>
    private static string? HeldWhole(SKEncodedImageFormat format, Stream encoded)
    {
        long start = encoded.Position;
        try
        {
            return format switch
            {
                SKEncodedImageFormat.Png => PngRowDecoder.CanStream(encoded) ? null : "an interlaced or unusual PNG",
                SKEncodedImageFormat.Jpeg => IsSequentialJpeg(encoded) ? null : "a progressive JPEG",
                SKEncodedImageFormat.Webp => "a WebP image",
                SKEncodedImageFormat.Gif => "a GIF image",
                SKEncodedImageFormat.Bmp => "a BMP image",
                _ => $"a {format.ToString().ToUpperInvariant()} image",
            };
        }
        finally
        {
            encoded.Position = start;
        }
    }

    /// <summary>
    /// True when the first start-of-frame marker is SOF0, SOF1 or SOF9 (sequential DCT): libjpeg then decodes scanline
    /// by scanline. Progressive, lossless and hierarchical frames buffer the whole image.
    /// </summary>
    private static bool IsSequentialJpeg(Stream s)
    {
        Span<byte> two = stackalloc byte[2];
        if (s.Read(two) != 2 || two[0] != 0xFF || two[1] != 0xD8) return false;
        while (true)
        {
            int b = s.ReadByte();
            if (b < 0) return false;
            if (b != 0xFF) return false;                                     // markers follow each other in the header
            int marker;
            do { marker = s.ReadByte(); } while (marker == 0xFF);           // fill bytes
            if (marker < 0 || marker == 0xD9 || marker == 0xDA) return false; // EOI / SOS before any frame
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) continue;          // no length
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return marker is 0xC0 or 0xC1 or 0xC9;
            }
            if (s.Read(two) != 2) return false;
            int length = BinaryPrimitives.ReadUInt16BigEndian(two);
            if (length < 2) return false;
            s.Seek(length - 2, SeekOrigin.Current);
        }
    }
}
