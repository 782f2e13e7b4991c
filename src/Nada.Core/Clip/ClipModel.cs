using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// A CLIP model (OpenAI architecture): an image tower (ViT or ModifiedResNet) and a causal text
/// transformer mapping into one embedding space. Parameter names equal OpenAI's state-dict keys.
/// Build it with <see cref="ClipLoader"/>; the model is frozen (no parameter requires a gradient) and in
/// eval mode, but gradients flow to its inputs. A model stored in half precision (bfloat16/float16) computes in it
/// and returns float32 features: losses are computed in float32 (the cast is this module's boundary).
/// </summary>
public sealed class ClipModel : nn.Module
{
#pragma warning disable IDE1006 // state-dict names
    private readonly nn.Module<Tensor, Tensor> visual;
    private readonly ClipTransformer transformer;
    private readonly Embedding token_embedding;
    private readonly Parameter positional_embedding;
    private readonly ClipLayerNorm ln_final;
    private readonly Parameter text_projection;
    private readonly Parameter logit_scale;
#pragma warning restore IDE1006

    /// <summary>The architecture.</summary>
    public ClipConfig Config { get; }

    /// <summary>Side of the square images <see cref="EncodeImage"/> expects.</summary>
    public int InputResolution => Config.ImageResolution;

    /// <summary>The learned log of the logit scale (a scalar); logits are exp(LogitScale) * cosine.</summary>
    public Tensor LogitScale => logit_scale;

    /// <summary>Creates a model of the given architecture with placeholder weights (load real ones with <see cref="ClipLoader"/>).</summary>
    public ClipModel(ClipConfig config) : base(nameof(ClipModel))
    {
        Config = config;
        visual = config.IsVisionTransformer
            ? new VisionTransformer(config.ImageResolution, config.VisionPatchSize!.Value, config.VisionWidth,
                config.VisionLayers[0], config.VisionHeads, config.EmbedDim, config.Activation)
            : new ModifiedResNet(config.VisionLayers, config.EmbedDim, config.VisionHeads, config.ImageResolution, config.VisionWidth);
        transformer = new ClipTransformer(config.TransformerWidth, config.TransformerLayers, config.TransformerHeads, config.Activation);
        token_embedding = nn.Embedding(config.VocabSize, config.TransformerWidth);
        positional_embedding = new Parameter(zeros(config.ContextLength, config.TransformerWidth));
        ln_final = new ClipLayerNorm(config.TransformerWidth);
        text_projection = new Parameter(zeros(config.TransformerWidth, config.EmbedDim));
        logit_scale = new Parameter(tensor(MathF.Log(1 / 0.07f)));
        RegisterComponents();
    }

    /// <summary>The dtype the model is stored and computes in.</summary>
    public ScalarType Dtype => positional_embedding.dtype;

    /// <summary>The dtype of the features: float32 for a half-precision model, else the model's.</summary>
    public ScalarType FeatureDtype => Dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : Dtype;

    /// <summary>Encodes preprocessed images [N, 3, R, R] (see <see cref="ClipPreprocessor"/>) to unnormalised features [N, EmbedDim] in <see cref="FeatureDtype"/>.</summary>
    public Tensor EncodeImage(Tensor preprocessed)
    {
        if (preprocessed.dim() != 4 || preprocessed.shape[1] != 3 || preprocessed.shape[2] != InputResolution || preprocessed.shape[3] != InputResolution)
            throw new ArgumentException(
                $"CLIP expects images of shape [N, 3, {InputResolution}, {InputResolution}], got [{string.Join(", ", preprocessed.shape)}]; run them through ClipPreprocessor.",
                nameof(preprocessed));
        using var scope = NewDisposeScope();
        return visual.forward(preprocessed).to(FeatureDtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Encodes token ids [N, ContextLength] (see <see cref="ClipTokenizer"/>) to unnormalised features [N, EmbedDim] in
    /// <see cref="FeatureDtype"/>, pooled at the end-of-text token (the highest id). The attention is causal, so the
    /// padding after the last end-of-text token of the batch cannot change any pooled feature: the sequence is cut
    /// there (a prompt template of about 10 tokens runs over 12 positions instead of 77; one host synchronisation).
    /// </summary>
    public Tensor EncodeText(Tensor tokens)
    {
        if (tokens.dim() != 2 || tokens.shape[1] != Config.ContextLength)
            throw new ArgumentException(
                $"CLIP expects tokens of shape [N, {Config.ContextLength}], got [{string.Join(", ", tokens.shape)}]; tokenize with contextLength {Config.ContextLength}.",
                nameof(tokens));
        using var scope = NewDisposeScope();
        tokens = tokens.to(ScalarType.Int64, positional_embedding.device);
        var eot = tokens.argmax(-1);                                                 // [N]
        long l = eot.max().item<long>() + 1;                                         // last end-of-text position + 1
        tokens = tokens.narrow(1, 0, l);                                             // [N, l]
        var dtype = positional_embedding.dtype;
        var x = token_embedding.forward(tokens).to(dtype) + positional_embedding.narrow(0, 0, l);   // [N, l, W]
        var mask = full(l, l, float.NegativeInfinity, dtype: dtype, device: x.device).triu(1); // [l, l] causal
        x = ln_final.forward(transformer.forward(x, mask));
        var rows = arange(tokens.shape[0], dtype: ScalarType.Int64, device: x.device);
        var pooled = x.index(TensorIndex.Tensor(rows), TensorIndex.Tensor(eot));     // [N, W]
        return matmul(pooled, text_projection).to(FeatureDtype).MoveToOuterDisposeScope();   // [N, EmbedDim]
    }

    /// <summary>Cosine-similarity logits scaled by exp(LogitScale): (per image [Ni, Nt], per text [Nt, Ni]).</summary>
    public (Tensor LogitsPerImage, Tensor LogitsPerText) Logits(Tensor imageFeatures, Tensor textFeatures)
    {
        using var scope = NewDisposeScope();
        var img = imageFeatures / imageFeatures.norm(1, true);
        var txt = textFeatures / textFeatures.norm(1, true);
        var perImage = logit_scale.to(img.dtype).exp() * matmul(img, txt.t().to(img.dtype));   // [Ni, Nt]
        return (perImage.MoveToOuterDisposeScope(), perImage.t().MoveToOuterDisposeScope());
    }
}
