using System.Globalization;
using Nada.Web.Data;

namespace Nada.Web.Progress;

/// <summary>How long a job has run, how fast it goes and when it should end, in words people read at a glance.</summary>
public static class JobTiming
{
    /// <summary>A job's speed and time left while it runs.</summary>
    /// <param name="Elapsed">Since the job started (its first start, over every attempt).</param>
    /// <param name="StepsPerSecond">Steps of the current run divided by its time; null before the first step.</param>
    /// <param name="Remaining">Steps left divided by the speed; null while the speed is unknown.</param>
    public sealed record Live(TimeSpan Elapsed, double? StepsPerSecond, TimeSpan? Remaining);

    /// <summary>
    /// Speed and time left of a running job: the speed counts the steps of the current run since it started
    /// (<paramref name="runStartedAt"/>, from <paramref name="runStartedFromStep"/> on a resume), or since the job
    /// started when this box did not see the run start.
    /// </summary>
    public static Live Running(DateTimeOffset now, DateTimeOffset? jobStartedAt, DateTimeOffset? runStartedAt, int runStartedFromStep, int step, int totalSteps)
    {
        var started = jobStartedAt ?? runStartedAt ?? now;
        var elapsed = Positive(now - started);
        var (from, fromStep) = runStartedAt is { } r ? (r, runStartedFromStep) : (started, 0);
        var seconds = (now - from).TotalSeconds;
        var done = step - fromStep;
        if (done <= 0 || seconds <= 0.05) return new Live(elapsed, null, null);
        var rate = done / seconds;
        var left = Math.Max(0, totalSteps - step);
        return new Live(elapsed, rate, TimeSpan.FromSeconds(left / rate));
    }

    /// <summary>How long a finished job took from its start to its end; null when it never started.</summary>
    public static TimeSpan? Duration(JobRecord job) =>
        job.StartedAt is { } s && job.FinishedAt is { } f && job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled
            ? Positive(f - s)
            : null;

    /// <summary>"45 s", "3 min 05 s", "2 h 04 min".</summary>
    public static string Format(TimeSpan t)
    {
        t = Positive(t);
        if (t.TotalSeconds < 60) return $"{Math.Round(t.TotalSeconds, t.TotalSeconds < 10 ? 1 : 0).ToString(CultureInfo.InvariantCulture)} s";
        if (t.TotalHours < 1) return $"{(int)t.TotalMinutes} min {t.Seconds:00} s";
        return $"{(int)t.TotalHours} h {t.Minutes:00} min";
    }

    /// <summary>"2.4 steps/s", or "18 s/step" when slower than one step in two seconds.</summary>
    public static string Rate(double stepsPerSecond) =>
        stepsPerSecond >= 0.5
            ? $"{stepsPerSecond.ToString(stepsPerSecond >= 10 ? "0" : "0.0#", CultureInfo.InvariantCulture)} steps/s"
            : $"{(1 / stepsPerSecond).ToString("0.#", CultureInfo.InvariantCulture)} s/step";

    private static TimeSpan Positive(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
