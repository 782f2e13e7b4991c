using System.Diagnostics;
using Nada.Core.Editing;
using Nada.Core.Tests.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>
/// A 12000 x 12000 PNG photo is decoded downscaled, without holding its pixels. Runs alone (its collection is not
/// parallelised) because it measures the process's peak resident memory.
/// </summary>
[Collection(nameof(EditingCollection))]
public sealed class HugePhotoTests(ITestOutputHelper log) : IDisposable
{
    private readonly CheckpointTestFiles.Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void AHugePhotoIsDecodedDownscaled()
    {
        const int side = 12000;
        var path = scratch.File("huge.png");
        EditTestData.WriteLargePng(path, side, side);
        log.WriteLine($"{side}x{side} PNG: {new FileInfo(path).Length / 1024} KiB on disk, {side * (long)side * 4 / 1048576} MiB as RGBA pixels");
        using (var warm = zeros(1)) { }                                   // load libtorch before measuring
        bool peakReset = ResetPeakResidentMemory();
        long before = ResidentKiB("VmRSS");
        var sw = Stopwatch.StartNew();
        using var photo = PhotoInverter.LoadPhoto(path, 64);
        long peak = ResidentKiB("VmHWM");
        log.WriteLine($"decoded in {sw.Elapsed.TotalSeconds:F1} s; resident {before / 1024} MiB before, peak {peak / 1024} MiB during (peak reset: {peakReset})");
        // A full-size decode needs 549 MiB for the pixels alone (2.7 GB peak seen before rows were streamed); streaming needs a few MiB.
        if (peakReset) Assert.True(peak - before < 100 * 1024, $"resident memory rose by {(peak - before) / 1024} MiB while decoding");
        Assert.Equal(new long[] { 1, 3, 64, 64 }, photo.shape);
        // Red rises left to right, blue falls (the written gradient), green is constant.
        float redLeft = photo[0, 0, 32, 2].item<float>(), redRight = photo[0, 0, 32, 61].item<float>();
        float blueLeft = photo[0, 2, 32, 2].item<float>(), blueRight = photo[0, 2, 32, 61].item<float>();
        Assert.True(redRight > redLeft + 1 && blueLeft > blueRight + 1, $"red {redLeft}->{redRight}, blue {blueLeft}->{blueRight}");
        Assert.InRange(photo[0, 1].mean().item<float>(), 90 / 127.5f - 1 - 0.02f, 90 / 127.5f - 1 + 0.02f);
    }

    /// <summary>Resets the process's peak resident set (Linux: "5" into /proc/self/clear_refs); false where unsupported.</summary>
    private static bool ResetPeakResidentMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ResidentKiB("VmHWM") > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A field of /proc/self/status in KiB (0 when unavailable).</summary>
    private static long ResidentKiB(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
