using Nada.Core.Clip;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Losses;

/// <summary>
/// The CLIP-space direction from a source text to a target text, averaged over prompt templates:
/// mean over templates of (normalise(E(target)) - normalise(E(source))), then normalised. [1, D].
/// Computed once on first use and cached (detached, on the model's device).
/// </summary>
public sealed class TextDirection : IDisposable
{
    private readonly ClipModel model;
    private readonly IReadOnlyList<string> templates;
    private Tensor? value;

    /// <summary>Source text, e.g. "photo".</summary>
    public string Source { get; }
    /// <summary>Target text, e.g. "sketch".</summary>
    public string Target { get; }

    /// <param name="model">The CLIP model whose text encoder defines the space.</param>
    /// <param name="source">Source domain text.</param>
    /// <param name="target">Target domain text.</param>
    /// <param name="templates">Templates with "{}"; the 79 ImageNet templates when null.</param>
    /// <exception cref="ArgumentException">A text is empty, or source equals target.</exception>
    public TextDirection(ClipModel model, string source, string target, IReadOnlyList<string>? templates = null)
    {
        ValidateTexts(source, target);
        this.model = model;
        this.templates = templates ?? PromptTemplates.ImageNet;
        Source = source;
        Target = target;
    }

    /// <summary>The normalised direction [1, D]; owned by this object.</summary>
    public Tensor Value => value ??= Compute(model, Source, Target, templates).DetachFromDisposeScope();

    /// <summary>Computes the direction [1, D] without caching.</summary>
    public static Tensor Compute(ClipModel model, string source, string target, IReadOnlyList<string> templates)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var src = TemplateFeatures(model, source, templates);                   // [T, D]
        var tgt = TemplateFeatures(model, target, templates);
        var direction = (tgt - src).mean([0], keepdim: true);                   // [1, D]
        return (direction / direction.norm(1, true)).MoveToOuterDisposeScope();
    }

    /// <summary>Each template filled with <paramref name="text"/>, encoded and L2-normalised: [T, D]. No gradient.</summary>
    public static Tensor TemplateFeatures(ClipModel model, string text, IReadOnlyList<string> templates)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tokens = ClipTokenizer.Shared.Tokenize(PromptTemplates.Fill(templates, text), contextLength: model.Config.ContextLength);
        var features = model.EncodeText(tokens);                                // [T, D]
        return (features / features.norm(1, true)).MoveToOuterDisposeScope();
    }

    /// <summary>Mean of the normalised template features, normalised again: [1, D]. No gradient.</summary>
    public static Tensor MeanTemplateFeature(ClipModel model, string text, IReadOnlyList<string> templates)
    {
        using var scope = NewDisposeScope();
        var mean = TemplateFeatures(model, text, templates).mean([0], keepdim: true);  // [1, D]
        return (mean / mean.norm(1, true)).MoveToOuterDisposeScope();
    }

    /// <summary>Throws a clear error for an empty text, or source and target that CLIP reads as the same tokens.</summary>
    public static void ValidateTexts(string source, string target)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new ArgumentException("The source text is empty; describe the generator's current domain, e.g. \"photo\".");
        if (string.IsNullOrWhiteSpace(target)) throw new ArgumentException("The target text is empty; describe the domain to adapt to, e.g. \"sketch\", or give style images.");
        if (ClipTokenizer.Shared.Encode(source).SequenceEqual(ClipTokenizer.Shared.Encode(target)))
            throw new ArgumentException($"The source and target texts are the same (\"{source.Trim()}\"); there is no direction to adapt along.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        value?.Dispose();
        value = null;
    }
}
