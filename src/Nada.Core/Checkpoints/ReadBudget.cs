using System.Globalization;

namespace Nada.Core.Checkpoints;

/// <summary>
/// The memory one read of one checkpoint file may still spend, under <see cref="ReadLimits"/>. Every allocation whose
/// size comes from the file (a tensor, a decompressed entry, a pickle value) is charged here before it is made; a
/// charge that would go past a limit throws a <see cref="CheckpointException"/> naming the file, the entry and the
/// limit, so nothing of that size is ever allocated. Charges are never given back: a read's total is what it made.
/// Nested archives (NVIDIA's <c>_load_from_bytes</c>) share their file's budget.
/// </summary>
internal sealed class ReadBudget
{
    private const string Advice =
        "A file that claims this much is corrupt or built to exhaust memory (a decompression bomb); if it is a genuine checkpoint, report it";

    /// <summary>What one tensor object costs besides its data (managed handle and LibTorch's tensor and storage records), charged with each.</summary>
    public const long TensorOverheadBytes = 512;

    public ReadBudget(string path, ReadLimits limits, long fileLength)
    {
        Path = path;
        Limits = limits;
        FileLength = Math.Max(0, fileLength);
        long expanded = FileLength > long.MaxValue / Math.Max(1, limits.MaxExpansion) ? long.MaxValue : FileLength * limits.MaxExpansion;
        Allowed = Math.Min(limits.MaxTotalBytes, Math.Max(limits.SmallFileAllowanceBytes, expanded));
    }

    /// <summary>A budget for the file at <paramref name="path"/> (its current length; 0 when it does not exist).</summary>
    public static ReadBudget ForFile(string path, ReadLimits? limits)
    {
        long length = File.Exists(path) ? new FileInfo(path).Length : 0;
        return new ReadBudget(path, limits ?? ReadLimits.Default, length);
    }

    public string Path { get; }
    public ReadLimits Limits { get; }
    public long FileLength { get; }

    /// <summary>The most bytes this file may make in all.</summary>
    public long Allowed { get; }

    /// <summary>Bytes charged so far.</summary>
    public long Used { get; private set; }

    /// <summary>Tensors charged so far.</summary>
    public int Tensors { get; private set; }

    /// <summary>Charges <paramref name="bytes"/> for <paramref name="what"/> (inside <paramref name="part"/> of the file), or refuses.</summary>
    public void Charge(long bytes, string what, string? part = null)
    {
        if (bytes < 0)
        {
            throw Fail(part, $"{what} claims a negative size ({bytes} bytes)", "The file is corrupt");
        }
        if (bytes > Allowed - Used)
        {
            throw Fail(part, $"{what} needs {Size(bytes)}, which would take what this file makes past {Size(Allowed)} ({Binding()})", Advice);
        }
        Used += bytes;
    }

    /// <summary>Charges one tensor of <paramref name="bytes"/> (also against the per-tensor and tensor-count limits), or refuses.</summary>
    public void ChargeTensor(long bytes, string what, string? part = null)
    {
        if (bytes > Limits.MaxTensorBytes)
        {
            throw Fail(part, $"{what} needs {Size(bytes)}, more than one tensor may have (ReadLimits.MaxTensorBytes = {Size(Limits.MaxTensorBytes)})", Advice);
        }
        if (Tensors >= Limits.MaxTensors)
        {
            throw Fail(part, $"{what} would be tensor number {Tensors + 1}, more than one file may hold (ReadLimits.MaxTensors = {Limits.MaxTensors})", Advice);
        }
        Charge(bytes + TensorOverheadBytes, what, part);
        Tensors++;
    }

    /// <summary>A refusal naming this file, <paramref name="part"/> and the problem.</summary>
    public CheckpointException Fail(string? part, string problem, string? advice = null) =>
        new(Path, part is null ? problem : $"{part}: {problem}", advice);

    /// <summary>The refusal advice for claims over a limit.</summary>
    public static string OverLimitAdvice => Advice;

    /// <summary>"1073741824 bytes (1.0 GiB)".</summary>
    public static string Size(long bytes) =>
        bytes < 1024 ? $"{bytes} bytes" : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes ({Human(bytes)})");

    private static string Human(double bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int u = -1;
        do { bytes /= 1024; u++; } while (bytes >= 1024 && u < units.Length - 1);
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {units[u]}");
    }

    /// <summary>Which limit sets <see cref="Allowed"/>.</summary>
    private string Binding()
    {
        if (Allowed == Limits.MaxTotalBytes) return "ReadLimits.MaxTotalBytes";
        if (Allowed == Limits.SmallFileAllowanceBytes) return $"ReadLimits.SmallFileAllowanceBytes; ReadLimits.MaxExpansion = {Limits.MaxExpansion} x its {Size(FileLength)} is less";
        return $"ReadLimits.MaxExpansion = {Limits.MaxExpansion} x its {Size(FileLength)} on disk";
    }
}
