using Nada.Core.Evaluation;
using Nada.Core.Runs;
using Nada.Core.Scheduling;

namespace Nada.Core.Service.Torch;

/// <summary><see cref="DomainEvaluator"/> as a job of the broker: waiting interactive work runs between batches.</summary>
public sealed class TorchDomainEvaluator(GpuBroker broker) : IDomainEvaluator
{
    /// <inheritdoc />
    public DomainScores Evaluate(EvaluationRequest request, RunContext context) =>
        broker.RunJob(ctx => DomainEvaluator.Evaluate(request, ctx.Cancellation, (done, total) =>
        {
            ctx.Progress.Step(new StepReport(done, total, new Dictionary<string, double> { ["samples"] = done }, Phase: "evaluation"));
            ctx.Cancellation.ThrowIfCancellationRequested();
            ctx.BetweenSteps?.Invoke();
        }), context);
}
