using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>Builds a <see cref="ClipModel"/> from an OpenAI-layout state dict, insisting every tensor is used and every parameter filled.</summary>
public static class ClipWeights
{
    /// <summary>Non-tensor or unused entries OpenAI's checkpoints carry beside the weights.</summary>
    private static readonly HashSet<string> MetadataKeys = ["input_resolution", "context_length", "vocab_size"];

    /// <summary>
    /// Infers the architecture, creates the model and copies the weights (cast to <paramref name="dtype"/>).
    /// The model is returned frozen, in eval mode, on <paramref name="device"/> (CPU when null).
    /// </summary>
    /// <exception cref="ClipFormatException">A tensor is missing, left over, or has the wrong shape.</exception>
    public static ClipModel Build(
        IReadOnlyDictionary<string, Tensor> state,
        string source,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        ClipActivation activation = ClipActivation.QuickGelu)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ArgumentException($"CLIP runs in a floating-point dtype, not {dtype}.", nameof(dtype));
        var config = ClipConfig.FromStateDict(state, source, activation);
        var model = new ClipModel(config);
        var used = new HashSet<string>();
        var missing = new List<string>();
        using (no_grad())
        {
            var targets = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
                .Concat(model.named_buffers().Select(b => (b.name, b.buffer)));
            foreach (var (name, target) in targets)
            {
                if (!state.TryGetValue(name, out var src))
                {
                    if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) missing.Add(name);
                    continue;
                }
                if (!src.shape.SequenceEqual(target.shape))
                    throw new ClipFormatException(source,
                        $"'{name}' has shape [{string.Join(", ", src.shape)}] but the inferred architecture needs [{string.Join(", ", target.shape)}]");
                target.copy_(src);
                used.Add(name);
            }
        }
        if (missing.Count > 0)
            throw new ClipFormatException(source, $"{missing.Count} weights are missing, e.g. {string.Join(", ", missing.Take(5).Select(m => $"'{m}'"))}");
        var unused = state.Keys
            .Where(k => !used.Contains(k) && !MetadataKeys.Contains(k)
                        && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal) && !k.EndsWith("attn_mask", StringComparison.Ordinal))
            .ToList();
        if (unused.Count > 0)
            throw new ClipFormatException(source, $"{unused.Count} tensors do not belong to a CLIP model, e.g. {string.Join(", ", unused.Take(5).Select(m => $"'{m}'"))}");

        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
        model.to(dtype);
        if (device is not null) model.to(device);
        return model;
    }
}
