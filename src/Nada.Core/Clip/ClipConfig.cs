using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>Activation of the transformer MLPs: OpenAI's models use QuickGELU, many open_clip models GELU.</summary>
public enum ClipActivation
{
    /// <summary>x * sigmoid(1.702 x), as in every OpenAI CLIP model.</summary>
    QuickGelu,
    /// <summary>Exact (erf) GELU, as in open_clip models trained without <c>quick_gelu</c>.</summary>
    Gelu,
}

/// <summary>
/// Architecture of a CLIP model, inferred from its weights (like OpenAI's <c>build_model</c>).
/// Saved as JSON beside converted weights.
/// </summary>
/// <param name="EmbedDim">Joint embedding dimension (columns of <c>text_projection</c>).</param>
/// <param name="ImageResolution">Input image side in pixels.</param>
/// <param name="VisionLayers">One entry (transformer layers) for a ViT; four (blocks per stage) for a ModifiedResNet.</param>
/// <param name="VisionWidth">ViT width, or the ResNet's base width (channels of layer1's first conv).</param>
/// <param name="VisionPatchSize">ViT patch size; null for a ModifiedResNet.</param>
/// <param name="ContextLength">Text context length (rows of the text positional embedding).</param>
/// <param name="VocabSize">Rows of the token embedding.</param>
/// <param name="TransformerWidth">Text transformer width.</param>
/// <param name="TransformerHeads">Text attention heads (width / 64).</param>
/// <param name="TransformerLayers">Text transformer layers.</param>
/// <param name="Activation">MLP activation (not visible in the weights).</param>
public sealed record ClipConfig(
    int EmbedDim,
    int ImageResolution,
    IReadOnlyList<int> VisionLayers,
    int VisionWidth,
    int? VisionPatchSize,
    int ContextLength,
    int VocabSize,
    int TransformerWidth,
    int TransformerHeads,
    int TransformerLayers,
    ClipActivation Activation = ClipActivation.QuickGelu)
{
    /// <summary>True for a Vision Transformer image tower, false for a ModifiedResNet.</summary>
    public bool IsVisionTransformer => VisionPatchSize is not null;

    /// <summary>Attention heads of the image tower: width / 64 for a ViT, width * 32 / 64 for the ResNet's attention pool.</summary>
    public int VisionHeads => IsVisionTransformer ? Math.Max(1, VisionWidth / 64) : Math.Max(1, VisionWidth * 32 / 64);

    /// <summary>Infers the architecture from an OpenAI-layout state dict (names like <c>visual.conv1.weight</c>).</summary>
    /// <exception cref="ClipFormatException">A tensor the inference needs is missing or has an odd shape.</exception>
    public static ClipConfig FromStateDict(IReadOnlyDictionary<string, Tensor> state, string source, ClipActivation activation = ClipActivation.QuickGelu)
    {
        if (!state.ContainsKey("token_embedding.weight") && !state.Keys.Any(k => k.StartsWith("visual.", StringComparison.Ordinal)))
            throw new ClipFormatException(source, NotClip);
        Tensor Need(string key) => state.TryGetValue(key, out var t)
            ? t
            : throw new ClipFormatException(source, $"the CLIP weights lack '{key}'");

        int vocab = (int)Need("token_embedding.weight").shape[0];
        int context = (int)Need("positional_embedding").shape[0];
        int embed = (int)Need("text_projection").shape[1];
        int textWidth = (int)Need("ln_final.weight").shape[0];
        int textLayers = CountIndices(state.Keys, "transformer.resblocks.");
        if (textLayers == 0) throw new ClipFormatException(source, "the CLIP weights have no text transformer blocks ('transformer.resblocks.N.*')");

        if (state.ContainsKey("visual.proj"))
        {
            var conv1 = Need("visual.conv1.weight");                  // [width, 3, patch, patch]
            int width = (int)conv1.shape[0];
            int patch = (int)conv1.shape[^1];
            int tokens = (int)Need("visual.positional_embedding").shape[0];
            int grid = (int)Math.Round(Math.Sqrt(tokens - 1));
            if (grid * grid + 1 != tokens) throw new ClipFormatException(source, $"visual.positional_embedding has {tokens} rows, not a square grid plus one");
            int layers = CountIndices(state.Keys, "visual.transformer.resblocks.");
            return new ClipConfig(embed, patch * grid, [layers], width, patch, context, vocab, textWidth, Math.Max(1, textWidth / 64), textLayers, activation);
        }
        if (state.ContainsKey("visual.layer1.0.conv1.weight"))
        {
            var counts = Enumerable.Range(1, 4).Select(b => CountIndices(state.Keys, $"visual.layer{b}.")).ToArray();
            int width = (int)Need("visual.layer1.0.conv1.weight").shape[0];
            int tokens = (int)Need("visual.attnpool.positional_embedding").shape[0];
            int grid = (int)Math.Round(Math.Sqrt(tokens - 1));
            if (grid * grid + 1 != tokens) throw new ClipFormatException(source, $"visual.attnpool.positional_embedding has {tokens} rows, not a square grid plus one");
            return new ClipConfig(embed, grid * 32, counts, width, null, context, vocab, textWidth, Math.Max(1, textWidth / 64), textLayers, activation);
        }
        throw new ClipFormatException(source, "the weights hold neither a ViT ('visual.proj') nor a ModifiedResNet ('visual.layer1.*') image tower");
    }

    /// <summary>The problem reported for a file that holds tensors but no CLIP model.</summary>
    internal const string NotClip =
        "it does not hold a CLIP model (no 'token_embedding.weight' or 'visual.*' tensors); choose an OpenAI CLIP, open_clip or Hugging Face CLIP weights file";

    /// <summary>Number of distinct N in keys "prefixN.*".</summary>
    private static int CountIndices(IEnumerable<string> keys, string prefix) =>
        keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..].Split('.')[0])
            .Distinct()
            .Count();
}

/// <summary>A CLIP weights file that cannot be used: names the file and what is wrong.</summary>
public sealed class ClipFormatException(string path, string problem)
    : Exception($"Cannot load CLIP model '{path}': {problem}.")
{
    /// <summary>The file (or source) that failed.</summary>
    public string Path { get; } = path;
}
