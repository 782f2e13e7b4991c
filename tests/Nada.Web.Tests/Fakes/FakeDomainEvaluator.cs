using Nada.Core.Evaluation;
using Nada.Core.Runs;
using Nada.Core.Service;

namespace Nada.Web.Tests.Fakes;

/// <summary>Scores without a CLIP for the fake engine (its generators are placeholders): fixed figures, marked as such.</summary>
public sealed class FakeDomainEvaluator : IDomainEvaluator
{
    public DomainScores Evaluate(EvaluationRequest request, RunContext context) =>
        new(0.25, 0.5, 0.125, 0.2, 0.5, request.Domains.Count == 0 ? EvaluatedKind.Base : EvaluatedKind.Full, request.Samples, request.Seed,
            request.Truncation, Path.GetFileName(request.ClipPath), "fake", null, "Fake evaluator of the test host.");
}
