using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>How a text pulls the image in latent optimisation.</summary>
public enum ClipTextLossForm
{
    /// <summary>1 - cos(image features, text features), weighted over the CLIP models (StyleCLIP's form, without the /100 scale).</summary>
    Cosine,
    /// <summary>StyleGAN-NADA's global loss: 1 - exp(logit_scale) * cos / 100 per model, weighted.</summary>
    Global,
}

/// <summary>
/// The CLIP side of editing: the text's features per model of an ensemble (encoded once), image features of
/// generator images, the weighted text score and loss, and the CLIP image-feature distance to a photo.
/// Weights are normalised to sum 1, so scores stay cosines.
/// </summary>
public sealed class ClipGuide : IDisposable
{
    private readonly ClipEnsemble ensemble;
    private readonly Tensor[] textFeatures;     // per member: [1, D], L2-normalised
    private readonly float[] weights;

    /// <summary>The text, or null when the guide only measures image distances.</summary>
    public string? Text { get; }

    /// <param name="ensemble">CLIP models and their weights (not owned).</param>
    /// <param name="text">The target text; null for image distances only (inversion).</param>
    /// <exception cref="ArgumentException">The text is given but empty.</exception>
    public ClipGuide(ClipEnsemble ensemble, string? text)
    {
        if (text is not null && string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("The edit text is empty; describe the image you want, e.g. \"a smiling face\".");
        this.ensemble = ensemble;
        Text = text;
        float sum = ensemble.Members.Sum(m => m.Weight);
        weights = ensemble.Members.Select(m => m.Weight / sum).ToArray();
        textFeatures = text is null ? [] : ensemble.Members.Select(m => EncodeText(m.Model, text)).ToArray();
    }

    private static Tensor EncodeText(ClipModel model, string text)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = ClipTokenizer.Shared.Tokenize([text], truncate: true, contextLength: model.Config.ContextLength);
        var f = model.EncodeText(tokens);                                          // [1, D]
        return (f / f.norm(-1, true)).MoveToOuterDisposeScope().DetachFromDisposeScope();
    }

    /// <summary>Unnormalised image features per model for images [N, 3, H, W] in [-1, 1]. Differentiable.</summary>
    public Tensor[] EncodeImages(Tensor images) =>
        ensemble.Members.Select(m => m.Model.EncodeImage(m.Preprocessor.Forward(images).to(m.Model.LogitScale.dtype))).ToArray();

    /// <summary>Weighted cosine similarity of the images and the text, per image [N].</summary>
    public Tensor TextScore(Tensor[] imageFeatures)
    {
        RequireText();
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int i = 0; i < weights.Length; i++)
        {
            var f = imageFeatures[i] / imageFeatures[i].norm(-1, true);           // [N, D]
            var cos = matmul(f, textFeatures[i].to(f.device).t()).squeeze(1);     // [N]
            total = total is null ? weights[i] * cos : total + weights[i] * cos;
        }
        return total!.MoveToOuterDisposeScope();
    }

    /// <summary>The text loss (mean over images), a scalar.</summary>
    public Tensor TextLoss(Tensor[] imageFeatures, ClipTextLossForm form)
    {
        RequireText();
        using var scope = NewDisposeScope();
        if (form == ClipTextLossForm.Cosine)
            return (1 - TextScore(imageFeatures)).mean().MoveToOuterDisposeScope();
        Tensor? total = null;
        for (int i = 0; i < weights.Length; i++)
        {
            var model = ensemble.Members[i].Model;
            var f = imageFeatures[i] / imageFeatures[i].norm(-1, true);
            var logits = model.LogitScale.exp() * matmul(f, textFeatures[i].to(f.device).t());  // [N, 1]
            var term = (1 - logits / 100).mean() * weights[i];
            total = total is null ? term : total + term;
        }
        return total!.MoveToOuterDisposeScope();
    }

    /// <summary>Weighted 1 - cos between image features and fixed reference features (e.g. of a photo), mean over images.</summary>
    public Tensor ImageDistance(Tensor[] imageFeatures, Tensor[] referenceFeatures)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int i = 0; i < weights.Length; i++)
        {
            var a = imageFeatures[i] / imageFeatures[i].norm(-1, true);             // [N, D]
            var b = referenceFeatures[i].to(a.device) / referenceFeatures[i].to(a.device).norm(-1, true);   // [1 or N, D]
            var term = (1 - (a * b).sum(-1)).mean() * weights[i];
            total = total is null ? term : total + term;
        }
        return total!.MoveToOuterDisposeScope();
    }

    private void RequireText()
    {
        if (Text is null) throw new InvalidOperationException("This CLIP guide was made without a text.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in textFeatures) t.Dispose();
    }
}
