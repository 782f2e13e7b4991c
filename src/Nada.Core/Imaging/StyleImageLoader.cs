using SkiaSharp;
using static TorchSharp.torch;

namespace Nada.Core.Imaging;

/// <summary>A style image that could not be used, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record SkippedImage(string Path, string Reason);

/// <summary>
/// Loads example images of a target domain for image-guided adaptation: any format SkiaSharp decodes
/// (PNG, JPEG, WebP, GIF, BMP; RGBA, grayscale and 16-bit included), EXIF orientation applied, center-cropped
/// to a square and resized to a given size, as one tensor in [-1, 1]. Files that are not images or are
/// corrupt are skipped and reported; huge images are decoded at a reduced scale, and images whose headers claim more
/// pixels than <see cref="ReadLimits"/> allow are refused before any pixel is decoded.
/// </summary>
public static class StyleImageLoader
{
    /// <summary>Largest pixel count decoded at full scale; larger images are decoded downscaled.</summary>
    public const long MaxDecodePixels = 4096L * 4096L;

    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"];

    /// <summary>The image files of a folder (by extension; the rest are reported as skipped).</summary>
    public static IReadOnlyList<string> ListFolder(string folder, List<SkippedImage> skipped)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Style image folder '{folder}' does not exist.");
        var files = new List<string>();
        foreach (var f in Directory.EnumerateFiles(folder).OrderBy(f => f, StringComparer.Ordinal))
        {
            if (Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                files.Add(f);
            else
                skipped.Add(new SkippedImage(f, "not an image file extension (png, jpg, webp, gif, bmp)"));
        }
        return files;
    }

    /// <summary>
    /// Loads the images as [N, 3, size, size] in [-1, 1]. Unreadable files go to <paramref name="skipped"/>;
    /// throws when none is left.
    /// </summary>
    public static Tensor Load(IReadOnlyList<string> paths, int size, List<SkippedImage> skipped)
    {
        var images = new List<float[]>();
        foreach (var path in paths)
        {
            try
            {
                images.Add(DecodeToRgb(path, size));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                skipped.Add(new SkippedImage(path, e.Message));
            }
        }
        if (images.Count == 0)
            throw new InvalidDataException(paths.Count == 0
                ? "No style images were given."
                : $"None of the {paths.Count} style images could be read ({string.Join("; ", skipped.Select(s => $"{Path.GetFileName(s.Path)}: {s.Reason}"))}).");
        var data = images.SelectMany(x => x).ToArray();
        return tensor(data, [images.Count, 3, size, size]);   // [N, 3, size, size]
    }

    /// <summary>Decodes one file into CHW float RGB in [-1, 1], center-cropped and resized to size x size.</summary>
    /// <exception cref="InvalidDataException">Not an image, corrupt, or claiming more pixels than <paramref name="limits"/>
    /// (default <see cref="ReadLimits.Default"/>) allow; the message gives the reason, callers add the file name.</exception>
    public static float[] DecodeToRgb(string path, int size, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        using var stream = File.OpenRead(path);
        if (stream.Length == 0)
            throw new InvalidDataException("the file is empty");
        using var codec = SKCodec.Create(stream) ?? throw new InvalidDataException("not an image SkiaSharp can decode");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidDataException("the image has no pixels");
        using (var header = File.OpenRead(path))
            ImageSizeCheck.Check(codec, header, limits);
        float scale = 1f;
        long pixels = (long)info.Width * info.Height;
        if (pixels > MaxDecodePixels)
            scale = (float)Math.Sqrt((double)MaxDecodePixels / pixels);
        var dims = scale < 1f ? codec.GetScaledDimensions(scale) : info.Size;
        if ((long)dims.Width * dims.Height > MaxDecodePixels)
        {
            // Skia cannot scale this codec (PNG): stream rows and box-average instead of decoding at full size.
            // Average blocks as large as keeps at least twice the output size on the shorter side.
            int factor = Math.Max((int)Math.Ceiling(Math.Sqrt((double)pixels / MaxDecodePixels)), Math.Min(info.Width, info.Height) / (2 * size));
            using var averaged = PngRowDecoder.DecodeAveraged(path, factor);
            if (averaged is not null)
            {
                using var orientedAveraged = ApplyOrientation(averaged, codec.EncodedOrigin);
                return CropResize(orientedAveraged, size);
            }
        }
        if ((long)dims.Width * dims.Height > limits.MaxFullDecodePixels)
            throw new InvalidDataException($"it is {info.Width}x{info.Height} pixels and cannot be decoded downscaled (ReadLimits.MaxFullDecodePixels = {limits.MaxFullDecodePixels})");
        var decodeInfo = new SKImageInfo(dims.Width, dims.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(decodeInfo);
        var result = codec.GetPixels(decodeInfo, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            if (scale < 1f)
                throw new InvalidDataException($"the image is {info.Width}x{info.Height}, too large to decode ({result})");
            throw new InvalidDataException($"the image data is corrupt ({result})");
        }
        using var oriented = ApplyOrientation(decoded, codec.EncodedOrigin);
        return CropResize(oriented, size);
    }

    private static SKBitmap ApplyOrientation(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
            return bitmap.Copy();
        float w = bitmap.Width, h = bitmap.Height;
        // x' = a x + b y + c, y' = d x + e y + f for each EXIF orientation.
        var (m, swap) = origin switch
        {
            SKEncodedOrigin.TopRight => (new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1), false),
            SKEncodedOrigin.BottomRight => (new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1), false),
            SKEncodedOrigin.BottomLeft => (new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1), false),
            SKEncodedOrigin.LeftTop => (new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1), true),
            SKEncodedOrigin.RightTop => (new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1), true),
            SKEncodedOrigin.RightBottom => (new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1), true),
            SKEncodedOrigin.LeftBottom => (new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1), true),
            _ => (SKMatrix.Identity, false),
        };
        var rotated = new SKBitmap(swap ? bitmap.Height : bitmap.Width, swap ? bitmap.Width : bitmap.Height, bitmap.ColorType, bitmap.AlphaType);
        using var canvas = new SKCanvas(rotated);
        canvas.SetMatrix(m);
        canvas.DrawBitmap(bitmap, 0, 0);
        return rotated;
    }

    private static float[] CropResize(SKBitmap bitmap, int size)
    {
        int side = Math.Min(bitmap.Width, bitmap.Height);
        var src = SKRectI.Create((bitmap.Width - side) / 2, (bitmap.Height - side) / 2, side, side);
        using var square = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(square))
        {
            canvas.Clear(SKColors.White);   // transparent pixels composite onto white
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, src, SKRect.Create(size, size), new SKSamplingOptions(SKCubicResampler.CatmullRom));
        }
        var rgba = square.GetPixelSpan();
        var chw = new float[3 * size * size];
        int plane = size * size;
        for (int i = 0; i < plane; i++)
        {
            chw[i] = rgba[4 * i] / 127.5f - 1f;
            chw[plane + i] = rgba[4 * i + 1] / 127.5f - 1f;
            chw[2 * plane + i] = rgba[4 * i + 2] / 127.5f - 1f;
        }
        return chw;
    }
}
