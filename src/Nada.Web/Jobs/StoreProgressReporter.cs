using Nada.Core.Adaptation;
using Nada.Web.Progress;

namespace Nada.Web.Jobs;

/// <summary>Passes the engine's progress reports to the progress store (on the training thread).</summary>
public sealed class StoreProgressReporter(ProgressStore store, Guid jobId) : IAdaptationProgress
{
    public void Report(AdaptationProgress progress)
    {
        store.ReportStep(jobId, progress.Step, progress.TotalSteps, progress.Losses);
        if (progress.PreviewPng is { Length: > 0 } png) store.ReportPreview(jobId, progress.Step, progress.TotalSteps, png);
    }

    public void Warn(string message) => store.ReportWarning(jobId, message);
}
