using Nada.Core.Editing;
using Nada.Web.Progress;

namespace Nada.Web.Edits;

/// <summary>
/// Passes an edit's progress to the progress store (on the job thread): losses plus the CLIP score, and images.
/// A job of two phases (inversion, then edit) reports the second with its steps after the first's.
/// </summary>
/// <param name="store">The progress store.</param>
/// <param name="jobId">The job.</param>
/// <param name="stepOffset">Steps done by earlier phases of the job.</param>
/// <param name="totalSteps">Steps of the whole job; null for the phase's own count.</param>
public sealed class EditProgressReporter(ProgressStore store, Guid jobId, int stepOffset = 0, int? totalSteps = null) : IEditProgress
{
    /// <summary>Name of the CLIP score series in the job's loss history.</summary>
    public const string ClipScore = "clip_score";

    public void Report(EditProgress progress)
    {
        var values = new Dictionary<string, double>(progress.Losses);
        if (progress.ClipScore is { } score) values[ClipScore] = score;
        int step = stepOffset + progress.Step, total = totalSteps ?? progress.TotalSteps;
        store.ReportStep(jobId, step, total, values);
        if (progress.PreviewPng is { Length: > 0 } png) store.ReportPreview(jobId, step, total, png);
    }
}
