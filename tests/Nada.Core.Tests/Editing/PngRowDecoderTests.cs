using System.Runtime.InteropServices;
using Nada.Core.Imaging;
using Nada.Core.Tests.Checkpoints;
using SkiaSharp;

namespace Nada.Core.Tests.Editing;

/// <summary>The streaming PNG decoder used for huge photos agrees with Skia's own decoder.</summary>
public sealed class PngRowDecoderTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>A noisy, partly transparent or opaque image encoded by Skia (which picks per-row filters).</summary>
    private string WritePng(string name, int w, int h, SKColorType colorType, SKAlphaType alpha)
    {
        var rng = new Random(w * 31 + h);
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                px[i] = (byte)(x * 255 / w);
                px[i + 1] = (byte)rng.Next(256);
                px[i + 2] = (byte)((x + y) % 256);
                px[i + 3] = alpha == SKAlphaType.Opaque ? (byte)255 : (byte)(y * 255 / h);
            }
        Marshal.Copy(px, 0, bitmap.GetPixels(), px.Length);
        using var converted = new SKBitmap(new SKImageInfo(w, h, colorType, alpha));
        Assert.True(bitmap.CopyTo(converted, colorType));
        using var data = converted.Encode(SKEncodedImageFormat.Png, 100);
        return scratch.Write(name, data.ToArray());
    }

    private static byte[] SkiaPixels(string path, out int w, out int h)
    {
        using var decoded = SKBitmap.Decode(path, new SKImageInfo(0, 0, SKColorType.Rgba8888, SKAlphaType.Unpremul).WithSize(SKBitmap.DecodeBounds(path).Size));
        w = decoded.Width;
        h = decoded.Height;
        var px = new byte[w * h * 4];
        Marshal.Copy(decoded.GetPixels(), px, 0, px.Length);
        return px;
    }

    [Theory]
    [InlineData(SKColorType.Rgba8888, SKAlphaType.Unpremul)]
    [InlineData(SKColorType.Rgba8888, SKAlphaType.Opaque)]
    [InlineData(SKColorType.Gray8, SKAlphaType.Opaque)]
    [InlineData(SKColorType.RgbaF16, SKAlphaType.Unpremul)]
    public void FactorOneEqualsSkiaAndLargerFactorsAverageBlocks(SKColorType colorType, SKAlphaType alpha)
    {
        string path = WritePng($"img-{colorType}-{alpha}.png", 61, 47, colorType, alpha);
        var bitDepth = File.ReadAllBytes(path)[24];                       // IHDR bit depth
        Assert.Equal(colorType == SKColorType.RgbaF16 ? 16 : 8, bitDepth);
        var expected = SkiaPixels(path, out int w, out int h);
        using (var same = PngRowDecoder.DecodeAveraged(path, 1))
        {
            Assert.NotNull(same);
            var px = new byte[w * h * 4];
            Marshal.Copy(same!.GetPixels(), px, 0, px.Length);
            int maxDiff = px.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(maxDiff <= 1, $"{colorType}/{alpha}: max difference {maxDiff} from Skia's decode");
        }
        using var third = PngRowDecoder.DecodeAveraged(path, 3)!;
        Assert.Equal(w / 3, third.Width);
        Assert.Equal(h / 3, third.Height);
        var avg = new byte[third.Width * third.Height * 4];
        Marshal.Copy(third.GetPixels(), avg, 0, avg.Length);
        for (int oy = 0; oy < third.Height; oy += 5)
            for (int ox = 0; ox < third.Width; ox += 3)
                for (int c = 0; c < 4; c++)
                {
                    double sum = 0;
                    for (int dy = 0; dy < 3; dy++)
                        for (int dx = 0; dx < 3; dx++) sum += expected[((oy * 3 + dy) * w + ox * 3 + dx) * 4 + c];
                    Assert.InRange(avg[(oy * third.Width + ox) * 4 + c], sum / 9 - 1.5, sum / 9 + 1.5);
                }
    }

    [Fact]
    public void InterlacedOrNonPngFilesAreLeftToSkia()
    {
        Assert.Null(PngRowDecoder.DecodeAveraged(scratch.Write("x.png", "not a png at all"u8.ToArray()), 2));
    }
}
