using System.Runtime.InteropServices;
using SkiaSharp;
using static TorchSharp.torch;

namespace Nada.Core.Imaging;

/// <summary>
/// Turns generator output (NCHW float in [-1, 1], 1 or 3 channels) into 8-bit PNG files, one per image or
/// as a grid. Pixel values follow NVIDIA's scripts: <c>clamp(x * 127.5 + 128, 0, 255)</c>, truncated.
/// </summary>
public static class ImageEncoder
{
    /// <summary>8-bit RGBA pixels [N, H, W, 4] (CPU, uint8) from images [N, C, H, W] in [-1, 1].</summary>
    public static Tensor ToRgba8(Tensor images)
    {
        if (images.dim() != 4 || (images.shape[1] != 1 && images.shape[1] != 3))
            throw new ArgumentException($"Expected images [N, 1 or 3, H, W], got [{string.Join(", ", images.shape)}].");
        using var scope = NewDisposeScope();
        var x = (images.detach().to(ScalarType.Float32).cpu() * 127.5f + 128f).clamp(0f, 255f).to(ScalarType.Byte); // [N, C, H, W]
        if (x.shape[1] == 1) x = x.expand(-1, 3, -1, -1);
        var alpha = full(new[] { x.shape[0], 1, x.shape[2], x.shape[3] }, (byte)255, dtype: ScalarType.Byte);
        return cat([x, alpha], 1).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope(); // [N, H, W, 4]
    }

    /// <summary>One PNG per image of the batch.</summary>
    public static IReadOnlyList<byte[]> ToPngs(Tensor images)
    {
        using var scope = NewDisposeScope();
        var rgba = ToRgba8(images);
        int n = (int)rgba.shape[0], h = (int)rgba.shape[1], w = (int)rgba.shape[2];
        var bytes = rgba.data<byte>().ToArray();
        var result = new byte[n][];
        for (int i = 0; i < n; i++) result[i] = EncodePng(bytes.AsSpan(i * h * w * 4, h * w * 4), w, h);
        return result;
    }

    /// <summary>
    /// All images in one PNG: a grid with <paramref name="columns"/> columns (default: ceil(sqrt(N))),
    /// <paramref name="padding"/> pixels of <paramref name="background"/> gray between cells.
    /// </summary>
    public static byte[] GridPng(Tensor images, int? columns = null, int padding = 2, byte background = 255)
    {
        using var scope = NewDisposeScope();
        var rgba = ToRgba8(images);
        int n = (int)rgba.shape[0], h = (int)rgba.shape[1], w = (int)rgba.shape[2];
        int cols = Math.Clamp(columns ?? (int)Math.Ceiling(Math.Sqrt(n)), 1, Math.Max(n, 1));
        int rows = (n + cols - 1) / cols;
        int gw = cols * w + (cols + 1) * padding, gh = rows * h + (rows + 1) * padding;
        var grid = new byte[gw * gh * 4];
        for (int i = 0; i < grid.Length; i += 4)
        {
            grid[i] = grid[i + 1] = grid[i + 2] = background;
            grid[i + 3] = 255;
        }
        var src = rgba.data<byte>().ToArray();
        for (int i = 0; i < n; i++)
        {
            int x0 = padding + (i % cols) * (w + padding), y0 = padding + (i / cols) * (h + padding);
            for (int y = 0; y < h; y++)
                Array.Copy(src, (i * h + y) * w * 4, grid, ((y0 + y) * gw + x0) * 4, w * 4);
        }
        return EncodePng(grid, gw, gh);
    }

    /// <summary>PNG bytes of RGBA8 pixels (row-major, width*height*4 bytes).</summary>
    public static byte[] EncodePng(ReadOnlySpan<byte> rgba, int width, int height)
    {
        if (rgba.Length != width * height * 4) throw new ArgumentException("Pixel buffer does not match width*height*4.");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(rgba.ToArray(), 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Decodes a PNG to RGBA8 pixels (for tests and previews); refuses images larger than <see cref="ReadLimits.MaxFullDecodePixels"/> before decoding.</summary>
    public static (byte[] Rgba, int Width, int Height) DecodePng(byte[] png)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(png)) ?? throw new InvalidDataException("Not a decodable image.");
        if ((long)codec.Info.Width * codec.Info.Height > ReadLimits.Default.MaxFullDecodePixels)
            throw new InvalidDataException($"The image is {codec.Info.Width}x{codec.Info.Height} pixels, more than ReadLimits.MaxFullDecodePixels ({ReadLimits.Default.MaxFullDecodePixels}).");
        using var decoded = SKBitmap.Decode(codec) ?? throw new InvalidDataException("Not a decodable image.");
        using var rgba = decoded.Copy(SKColorType.Rgba8888);
        var pixels = new byte[rgba.Width * rgba.Height * 4];
        Marshal.Copy(rgba.GetPixels(), pixels, 0, pixels.Length);
        return (pixels, rgba.Width, rgba.Height);
    }
}
