using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation;

/// <summary>
/// The trainer's losses over a CLIP ensemble: <see cref="ClipLossSet"/> for training, and for layer selection
/// the global loss toward the bare target text (as the reference's <c>determine_opt_layers</c>), summed over
/// the models with their weights.
/// </summary>
public sealed class ClipAdaptationLoss : IAdaptationLoss, IDisposable
{
    private readonly ClipEnsemble _ensemble;
    private readonly ClipLossSet _losses;
    private readonly GlobalClipLoss?[] _selection;

    /// <summary>Wraps a loss set; <paramref name="selectionText"/> is the target of the layer-selection global loss (null: no selection possible).</summary>
    public ClipAdaptationLoss(ClipEnsemble ensemble, ClipLossSet losses, string? selectionText)
    {
        _ensemble = ensemble;
        _losses = losses;
        _selection = ensemble.Members
            .Select(m => string.IsNullOrWhiteSpace(selectionText) || m.Weight == 0 ? null : new GlobalClipLoss(m.Model, selectionText.Trim()))
            .ToArray();
    }

    /// <inheritdoc />
    public (Tensor Total, IReadOnlyDictionary<string, Tensor> Parts) Compute(Tensor frozenImages, Tensor trainableImages)
    {
        var r = _losses.Forward(frozenImages, trainableImages);
        return (r.Total, r.Terms);
    }

    /// <inheritdoc />
    public Tensor GlobalLoss(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int i = 0; i < _selection.Length; i++)
        {
            var loss = _selection[i];
            if (loss is null)
                continue;
            var m = _ensemble.Members[i];
            var features = m.Model.EncodeImage(m.Preprocessor.Forward(images.to(m.Model.LogitScale.device)));   // [N, D]
            var term = m.Weight * loss.Compute(features);
            total = total is null ? term : total + term.to(total.device);
        }
        if (total is null)
            throw new InvalidOperationException("Layer selection needs a target text (the global loss scores W+ entries toward it); with style images only, turn selection off (auto-layer iterations 0).");
        return total.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var l in _selection) l?.Dispose();
        _losses.Dispose();
        _ensemble.Dispose();
    }
}
