using Nada.Core.Adaptation;
using Nada.Core.Editing;
using Nada.Core.Runs;
using Nada.Core.Scheduling;

namespace Nada.Core.Service.Torch;

/// <summary>The TorchSharp trainer (<see cref="DomainAdapter"/>) as a job of the broker.</summary>
public sealed class TorchAdaptationEngine(GpuBroker broker) : IAdaptationEngine
{
    /// <inheritdoc />
    public AdaptationResult Run(AdaptationRequest request, RunContext context, bool resume) =>
        broker.RunJob(ctx => DomainAdapter.Run(request, ctx, resume), context);

    /// <inheritdoc />
    public bool HasCheckpoint(string runDirectory) => RunCheckpoint.Exists(runDirectory);
}

/// <summary>The TorchSharp editor (<see cref="EditRunner"/>) as jobs of the broker.</summary>
public sealed class TorchEditEngine(GpuBroker broker) : IEditEngine
{
    /// <inheritdoc />
    public EditOutput Edit(EditRequest request, RunContext context) => broker.RunJob(ctx => EditRunner.Edit(request, ctx), context);

    /// <inheritdoc />
    public InversionOutput Invert(InversionRequest request, RunContext context) => broker.RunJob(ctx => EditRunner.Invert(request, ctx), context);
}
