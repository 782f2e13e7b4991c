using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

public class ImageEncoderTests
{
    [Fact]
    public void PixelsFollowNvidiaConversionAndSurvivePng()
    {
        using var scope = NewDisposeScope();
        // One 2x2 RGB image: -1 -> 0, 1 -> 255 (clamped), 0 -> 128, -0.5 -> 64.
        var img = tensor(new float[] { -1, 1, 0, -0.5f, 1, 1, 1, 1, 0, 0, 0, 0 }).reshape(1, 3, 2, 2);
        var png = ImageEncoder.ToPngs(img).Single();
        var (rgba, w, h) = ImageEncoder.DecodePng(png);
        Assert.Equal((2, 2), (w, h));
        Assert.Equal(new byte[] { 0, 255, 128, 255 }, new[] { rgba[0], rgba[1], rgba[2], rgba[3] });   // pixel (0,0)
        Assert.Equal(new byte[] { 64, 255, 128, 255 }, new[] { rgba[12], rgba[13], rgba[14], rgba[15] }); // pixel (1,1)
    }

    [Fact]
    public void GridPlacesImagesRowMajor()
    {
        using var scope = NewDisposeScope();
        var imgs = stack([full(new long[] { 3, 4, 4 }, -1f), full(new long[] { 3, 4, 4 }, 1f), full(new long[] { 3, 4, 4 }, 0f)]); // black, white, gray
        var (rgba, w, h) = ImageEncoder.DecodePng(ImageEncoder.GridPng(imgs, columns: 2, padding: 1, background: 7));
        Assert.Equal((2 * 4 + 3, 2 * 4 + 3), (w, h));
        byte At(int x, int y) => rgba[(y * w + x) * 4];
        Assert.Equal(7, At(0, 0));        // padding
        Assert.Equal(0, At(1, 1));        // first image, top-left
        Assert.Equal(255, At(6, 1));      // second image, top-right
        Assert.Equal(128, At(1, 6));      // third image, second row
        Assert.Equal(7, At(6, 6));        // empty cell stays background
    }
}
