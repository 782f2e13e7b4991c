using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// Maps a Hugging Face <c>transformers</c> CLIPModel state dict (<c>vision_model.*</c>, <c>text_model.*</c>,
/// <c>visual_projection</c>, <c>text_projection</c>) to OpenAI's names. Covers ViT models: separate
/// q/k/v projections are packed into <c>in_proj_weight</c>/<c>in_proj_bias</c>, projection matrices are
/// transposed. Hugging Face has no ModifiedResNet CLIP.
/// </summary>
public static partial class HuggingFaceClipNames
{
    /// <summary>True when the keys look like a Hugging Face CLIPModel.</summary>
    public static bool Matches(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("vision_model.", StringComparison.Ordinal) || k.StartsWith("text_model.", StringComparison.Ordinal));

    /// <summary>Returns the state dict under OpenAI's names. Tensors are shared or newly created (packed, transposed).</summary>
    /// <exception cref="ClipFormatException">A Hugging Face tensor has no OpenAI counterpart, or a q/k/v triple is incomplete.</exception>
    public static Dictionary<string, Tensor> ToOpenAi(IReadOnlyDictionary<string, Tensor> hf, string source)
    {
        var result = new Dictionary<string, Tensor>();
        var qkv = new Dictionary<string, Tensor?[]>();                  // OpenAI prefix "....attn.in_proj_{weight|bias}" -> [q, k, v]
        foreach (var (key, value) in hf)
        {
            var k = key.StartsWith("model.", StringComparison.Ordinal) ? key["model.".Length..] : key;
            if (k.EndsWith("position_ids", StringComparison.Ordinal)) continue;   // a buffer of 0..L-1
            switch (k)
            {
                case "logit_scale": result["logit_scale"] = value; continue;
                case "text_projection.weight": result["text_projection"] = value.t(); continue;      // [E, W] -> [W, E]
                case "visual_projection.weight": result["visual.proj"] = value.t(); continue;
                case "text_model.embeddings.token_embedding.weight": result["token_embedding.weight"] = value; continue;
                case "text_model.embeddings.position_embedding.weight": result["positional_embedding"] = value; continue;
                case "text_model.final_layer_norm.weight": result["ln_final.weight"] = value; continue;
                case "text_model.final_layer_norm.bias": result["ln_final.bias"] = value; continue;
                case "vision_model.embeddings.class_embedding": result["visual.class_embedding"] = value; continue;
                case "vision_model.embeddings.patch_embedding.weight": result["visual.conv1.weight"] = value; continue;
                case "vision_model.embeddings.position_embedding.weight": result["visual.positional_embedding"] = value; continue;
                case "vision_model.pre_layrnorm.weight": result["visual.ln_pre.weight"] = value; continue;
                case "vision_model.pre_layrnorm.bias": result["visual.ln_pre.bias"] = value; continue;
                case "vision_model.post_layernorm.weight": result["visual.ln_post.weight"] = value; continue;
                case "vision_model.post_layernorm.bias": result["visual.ln_post.bias"] = value; continue;
            }
            var m = LayerKey().Match(k);
            if (!m.Success) throw new ClipFormatException(source, $"the Hugging Face tensor '{key}' has no counterpart in OpenAI's CLIP");
            var prefix = (m.Groups["tower"].Value == "vision_model" ? "visual.transformer" : "transformer") + $".resblocks.{m.Groups["i"].Value}.";
            var rest = m.Groups["rest"].Value;
            var qkvMatch = QkvKey().Match(rest);
            if (qkvMatch.Success)
            {
                var target = prefix + "attn.in_proj_" + qkvMatch.Groups["kind"].Value;
                var slot = "qkv".IndexOf(qkvMatch.Groups["which"].Value[0]);
                if (!qkv.TryGetValue(target, out var parts)) qkv[target] = parts = new Tensor?[3];
                parts[slot] = value;
                continue;
            }
            var mapped = rest switch
            {
                var r when r.StartsWith("self_attn.out_proj.", StringComparison.Ordinal) => "attn.out_proj." + r["self_attn.out_proj.".Length..],
                var r when r.StartsWith("layer_norm1.", StringComparison.Ordinal) => "ln_1." + r["layer_norm1.".Length..],
                var r when r.StartsWith("layer_norm2.", StringComparison.Ordinal) => "ln_2." + r["layer_norm2.".Length..],
                var r when r.StartsWith("mlp.fc1.", StringComparison.Ordinal) => "mlp.c_fc." + r["mlp.fc1.".Length..],
                var r when r.StartsWith("mlp.fc2.", StringComparison.Ordinal) => "mlp.c_proj." + r["mlp.fc2.".Length..],
                _ => throw new ClipFormatException(source, $"the Hugging Face tensor '{key}' has no counterpart in OpenAI's CLIP"),
            };
            result[prefix + mapped] = value;
        }
        foreach (var (target, parts) in qkv)
        {
            if (parts.Any(p => p is null)) throw new ClipFormatException(source, $"the q/k/v projections for '{target}' are incomplete");
            result[target] = cat(parts!, 0);                                    // [3W, W] or [3W]
        }
        return result;
    }

    [GeneratedRegex(@"^(?<tower>vision_model|text_model)\.encoder\.layers\.(?<i>\d+)\.(?<rest>.+)$")]
    private static partial Regex LayerKey();

    [GeneratedRegex(@"^self_attn\.(?<which>[qkv])_proj\.(?<kind>weight|bias)$")]
    private static partial Regex QkvKey();
}
