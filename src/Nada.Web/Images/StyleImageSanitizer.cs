using Microsoft.Extensions.Options;
using Nada.Web.Options;
using SkiaSharp;

namespace Nada.Web.Images;

/// <summary>
/// Turns an untrusted upload into a PNG we wrote ourselves: size limit, pixel-count cap read from the header
/// before any decoding, full decode, re-encode. The original bytes are never stored or served. At most
/// <c>Limits:MaxConcurrentDecodes</c> decodes run at once (each may take hundreds of MB for a large image).
/// </summary>
public sealed class StyleImageSanitizer(IOptions<LimitsOptions> limits)
{
    private readonly SemaphoreSlim _decodes = new(Math.Max(1, limits.Value.MaxConcurrentDecodes));

    /// <summary><see cref="ToPng"/> within the decode concurrency cap.</summary>
    public async Task<byte[]> ToPngAsync(string fileName, byte[] bytes, CancellationToken ct = default)
    {
        await _decodes.WaitAsync(ct);
        try { return ToPng(fileName, bytes); }
        finally { _decodes.Release(); }
    }

    /// <summary>Decodes and re-encodes one upload as PNG; throws <see cref="InvalidImageException"/> with a message for the user.</summary>
    public byte[] ToPng(string fileName, byte[] bytes)
    {
        using var bitmap = Decode(fileName, bytes);
        return EncodePng(bitmap);
    }

    /// <summary>
    /// A small PNG of an upload for the page to show before it is submitted (at most <paramref name="maxSide"/> pixels
    /// on its longer side, never enlarged), with the upload's own size; the same checks and messages as <see cref="ToPng"/>.
    /// </summary>
    public async Task<UploadPreview> PreviewAsync(string fileName, byte[] bytes, int maxSide, CancellationToken ct = default)
    {
        await _decodes.WaitAsync(ct);
        try
        {
            using var bitmap = Decode(fileName, bytes);
            double scale = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
            int w = Math.Max(1, (int)Math.Round(bitmap.Width * scale)), h = Math.Max(1, (int)Math.Round(bitmap.Height * scale));
            using var small = bitmap.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
                ?? throw new InvalidImageException($"'{SafeName(fileName)}' could not be scaled down for its preview.");
            return new UploadPreview(EncodePng(small), bitmap.Width, bitmap.Height);
        }
        finally { _decodes.Release(); }
    }

    private static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The upload's pixels after the size, pixel-count and decode checks.</summary>
    private SKBitmap Decode(string fileName, byte[] bytes)
    {
        var l = limits.Value;
        var name = SafeName(fileName);
        if (bytes.Length == 0) throw new InvalidImageException($"'{name}' is empty.");
        if (bytes.Length > l.MaxUploadBytes)
            throw new InvalidImageException($"'{name}' is {bytes.Length / 1024} KiB; at most {l.MaxUploadBytes / 1024} KiB are allowed.");
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidImageException($"'{name}' is not an image NadaWeb can read: upload a PNG, JPEG or WebP file.");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidImageException($"'{name}' has no pixels.");
        if ((long)info.Width * info.Height > l.MaxUploadPixels)
            throw new InvalidImageException(
                $"'{name}' is {info.Width}x{info.Height} pixels; at most {l.MaxUploadPixels} pixels are allowed. Resize it and try again.");
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(target);
        var result = codec.GetPixels(target, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidImageException($"'{name}' could not be decoded ({result}); the file may be damaged.");
        }
        return bitmap;
    }

    /// <summary>A file name safe to show in a message.</summary>
    private static string SafeName(string fileName)
    {
        var n = Path.GetFileName(fileName ?? "");
        n = new string(n.Where(c => !char.IsControl(c)).Take(80).ToArray());
        return n.Length == 0 ? "upload" : n;
    }
}

/// <summary>A scaled-down PNG of an upload and the upload's own size in pixels.</summary>
public sealed record UploadPreview(byte[] Png, int Width, int Height)
{
    /// <summary>The preview as a data: URL for an img element (the page's CSP allows data: images).</summary>
    public string DataUrl => "data:image/png;base64," + Convert.ToBase64String(Png);
}

/// <summary>An upload that is not an acceptable image; the message is meant for the user.</summary>
public sealed class InvalidImageException(string message) : Exception(message);
