using Nada.Core.Editing;
using Nada.Web.Progress;

namespace Nada.Web.Edits;

/// <summary>Passes an edit's progress to the progress store (on the job thread): losses plus the CLIP score, and images.</summary>
public sealed class EditProgressReporter(ProgressStore store, Guid jobId) : IEditProgress
{
    /// <summary>Name of the CLIP score series in the job's loss history.</summary>
    public const string ClipScore = "clip_score";

    public void Report(EditProgress progress)
    {
        var values = new Dictionary<string, double>(progress.Losses);
        if (progress.ClipScore is { } score) values[ClipScore] = score;
        store.ReportStep(jobId, progress.Step, progress.TotalSteps, values);
        if (progress.PreviewPng is { Length: > 0 } png) store.ReportPreview(jobId, progress.Step, progress.TotalSteps, png);
    }
}
