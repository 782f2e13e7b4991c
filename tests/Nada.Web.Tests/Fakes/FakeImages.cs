using SkiaSharp;

namespace Nada.Web.Tests.Fakes;

/// <summary>Deterministic placeholder pictures for the fake engine: simple "faces" whose colour shifts with training.</summary>
public static class FakeImages
{
    /// <summary>One face for a seed; <paramref name="shift"/> in [0, 1] moves it toward the target domain's colour.</summary>
    public static void DrawFace(SKCanvas canvas, SKRect cell, int seed, float targetHue, float shift)
    {
        var rng = new Random(seed);
        var baseHue = (float)(rng.NextDouble() * 360);
        var hue = baseHue + ((targetHue - baseHue) * shift);
        using var background = new SKPaint { Color = SKColor.FromHsl(hue, 35, 85), IsAntialias = true };
        canvas.DrawRect(cell, background);
        var cx = cell.MidX + ((float)rng.NextDouble() - 0.5f) * cell.Width * 0.1f;
        var cy = cell.MidY;
        var r = cell.Width * (0.28f + (float)rng.NextDouble() * 0.08f);
        using var skin = new SKPaint { Color = SKColor.FromHsl(hue, 55, 55), IsAntialias = true };
        canvas.DrawCircle(cx, cy, r, skin);
        using var eye = new SKPaint { Color = SKColors.Black.WithAlpha(200), IsAntialias = true };
        canvas.DrawCircle(cx - r * 0.35f, cy - r * 0.2f, r * 0.1f, eye);
        canvas.DrawCircle(cx + r * 0.35f, cy - r * 0.2f, r * 0.1f, eye);
        using var mouth = new SKPaint { Color = SKColors.Black.WithAlpha(200), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
        canvas.DrawArc(new SKRect(cx - r * 0.4f, cy - r * 0.1f, cx + r * 0.4f, cy + r * 0.5f), 20, 140, false, mouth);
    }

    /// <summary>A frozen-vs-adapted grid: top row the base generator, bottom row the adapted one.</summary>
    public static byte[] GridPng(IReadOnlyList<int> seeds, float targetHue, float shift, int cellSize = 64)
    {
        var info = new SKImageInfo(cellSize * seeds.Count, cellSize * 2);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        for (var i = 0; i < seeds.Count; i++)
        {
            DrawFace(canvas, SKRect.Create(i * cellSize, 0, cellSize, cellSize), seeds[i], targetHue, 0);
            DrawFace(canvas, SKRect.Create(i * cellSize, cellSize, cellSize, cellSize), seeds[i], targetHue, shift);
        }
        return Encode(surface);
    }

    /// <summary>One adapted sample.</summary>
    public static byte[] SamplePng(int seed, float targetHue, float shift, int size = 128)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size, size));
        DrawFace(surface.Canvas, SKRect.Create(0, 0, size, size), seed, targetHue, shift);
        return Encode(surface);
    }

    /// <summary>A stable hue for a text, so the same prompt gives the same colours.</summary>
    public static float HueOf(string text)
    {
        uint h = 2166136261;
        foreach (var c in text) h = (h ^ c) * 16777619;
        return h % 360;
    }

    private static byte[] Encode(SKSurface surface)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
