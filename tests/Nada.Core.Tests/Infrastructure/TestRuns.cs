using Nada.Core.Runs;

namespace Nada.Core.Tests.Infrastructure;

/// <summary>Collects the steps an engine loop reports; optionally runs an action on each (e.g. cancel).</summary>
internal sealed class ListProgress(List<StepReport>? reports = null, Action<StepReport>? onReport = null) : IRunProgress
{
    public List<StepReport> Reports { get; } = reports ?? [];

    public List<int> Steps => Reports.Select(r => r.Step).ToList();

    public void Step(StepReport report)
    {
        Reports.Add(report);
        onReport?.Invoke(report);
    }
}

/// <summary>Reporters over throwaway run folders, for engine loops driven directly by tests.</summary>
internal static class TestRuns
{
    /// <summary>A reporter writing into a new temporary run folder, passing steps to <paramref name="progress"/>.</summary>
    public static RunReporter Reporter(IRunProgress? progress = null, CancellationToken ct = default) =>
        new(new RunLayout(Directory.CreateTempSubdirectory("nada-run-").FullName), RunContext.For(progress ?? NoRunProgress.Instance, ct));
}
