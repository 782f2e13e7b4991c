namespace Nada.Web.ModelAdmin;

/// <summary>Human-readable sizes, rates and durations for the models page.</summary>
public static class ByteFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>"1.5 MiB".</summary>
    public static string Size(double bytes)
    {
        int unit = 0;
        while (bytes >= 1024 && unit < Units.Length - 1) { bytes /= 1024; unit++; }
        return unit == 0 ? $"{bytes:0} B" : $"{bytes:0.0} {Units[unit]}";
    }

    /// <summary>"2.0 MiB/s".</summary>
    public static string Rate(double bytesPerSecond) => Size(bytesPerSecond) + "/s";

    /// <summary>"1:05" or "1:02:03".</summary>
    public static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
