using Nada.Core.Editing;

namespace Nada.Web.Engine.Torch;

/// <summary>The TorchSharp editing engine: <see cref="EditRunner"/> on the calling (job) thread.</summary>
public sealed class TorchEditEngine : IEditEngine
{
    /// <inheritdoc />
    public EditOutput Edit(EditRequest request, IEditProgress progress, CancellationToken ct) => EditRunner.Edit(request, progress, ct);

    /// <inheritdoc />
    public InversionOutput Invert(InversionRequest request, IEditProgress progress, CancellationToken ct) => EditRunner.Invert(request, progress, ct);
}
