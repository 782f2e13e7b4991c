using System.Text;
using System.Text.Json;
using Nada.Core.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>How <see cref="ClipLoader"/> builds the model.</summary>
/// <param name="Dtype">Compute dtype: float32 (default; fp16 weights are cast up) or float16/bfloat16.</param>
/// <param name="Device">Where the model runs; CPU when null.</param>
/// <param name="Activation">MLP activation; when null, QuickGELU unless a Hugging Face <c>config.json</c> beside the file says otherwise.</param>
public sealed record ClipLoadOptions(ScalarType Dtype = ScalarType.Float32, Device? Device = null, ClipActivation? Activation = null);

/// <summary>The weight file layouts <see cref="ClipLoader"/> recognises by content.</summary>
public enum ClipFileFormat
{
    /// <summary>A <c>torch.save</c> file (zip or legacy pickle) holding an OpenAI-layout state dict.</summary>
    TorchStateDict,
    /// <summary>A TorchScript archive, the form of OpenAI's published <c>ViT-B-32.pt</c> etc.</summary>
    TorchScript,
    /// <summary>A safetensors file: open_clip (OpenAI names) or Hugging Face CLIPModel names.</summary>
    SafeTensors,
}

/// <summary>
/// Loads CLIP models from OpenAI state-dict <c>.pt</c> files (fp16 or fp32), OpenAI TorchScript archives,
/// and safetensors files with OpenAI/open_clip names or Hugging Face CLIPModel names (ViT only).
/// The format is recognised from the file's content, not its extension.
/// </summary>
public static class ClipLoader
{
    /// <summary>Loads a CLIP model in float32 on the CPU.</summary>
    public static ClipModel Load(string path) => Load(path, new ClipLoadOptions());

    /// <summary>Loads a CLIP model with the given options.</summary>
    /// <exception cref="ClipFormatException">The file is not a CLIP model in a known layout.</exception>
    public static ClipModel Load(string path, ClipLoadOptions options)
    {
        var state = ReadStateDict(path, out var activation);
        try
        {
            return ClipWeights.Build(state, path, options.Dtype, options.Device, options.Activation ?? activation);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Reads the weights of a CLIP file under OpenAI's names (the caller disposes the tensors).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path, out ClipActivation activation)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The CLIP model file '{path}' does not exist.", path);
        activation = ClipActivation.QuickGelu;
        Dictionary<string, Tensor> state;
        try
        {
            state = DetectFormat(path) switch
            {
                ClipFileFormat.TorchScript => TorchScriptArchive.LoadParameters(path),
                ClipFileFormat.SafeTensors => SafeTensorsFile.Load(path).Tensors,
                _ => TensorsOf(CheckpointReader.Read(path), path),
            };
        }
        catch (CheckpointException e)
        {
            throw new ClipFormatException(path, e.Message);
        }
        state = StripPrefix(state, "module.");
        if (HuggingFaceClipNames.Matches(state.Keys))
        {
            var mapped = HuggingFaceClipNames.ToOpenAi(state, path);
            foreach (var t in state.Values.Except(mapped.Values)) t.Dispose();
            state = mapped;
            activation = HuggingFaceActivation(path);
        }
        return state;
    }

    /// <summary>Recognises the layout from the first bytes (and, for zips, the entry names).</summary>
    public static ClipFileFormat DetectFormat(string path)
    {
        var head = new byte[16];
        int read;
        using (var fs = File.OpenRead(path)) read = fs.Read(head, 0, head.Length);
        if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
        {
            // The archive's directory is checked as every reader checks it (entry count, sizes, duplicate names).
            return TorchScriptArchive.IsArchive(path) ? ClipFileFormat.TorchScript : ClipFileFormat.TorchStateDict;
        }
        if (read >= 9 && head[8] == '{' && BitConverter.ToUInt64(head, 0) < (ulong)new FileInfo(path).Length)
            return ClipFileFormat.SafeTensors;
        if (read >= 2 && head[0] == 0x80) return ClipFileFormat.TorchStateDict;    // legacy pickle
        throw new ClipFormatException(path, "it is neither a PyTorch file (.pt zip or pickle), a TorchScript archive nor a safetensors file");
    }

    private static Dictionary<string, Tensor> TensorsOf(object? graph, string path)
    {
        if (graph is not Dictionary<string, object?> dict)
            throw new ClipFormatException(path, ClipConfig.NotClip);
        foreach (var wrapper in new[] { "state_dict", "model" })
            if (dict.TryGetValue(wrapper, out var inner) && inner is Dictionary<string, object?> innerDict) dict = innerDict;
        var tensors = dict.Where(kv => kv.Value is Tensor).ToDictionary(kv => kv.Key, kv => (Tensor)kv.Value!);
        if (tensors.Count == 0) throw new ClipFormatException(path, ClipConfig.NotClip);
        return tensors;
    }

    private static Dictionary<string, Tensor> StripPrefix(Dictionary<string, Tensor> state, string prefix) =>
        state.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal))
            ? state.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value)
            : state;

    /// <summary>Hugging Face stores the activation in config.json beside the weights (<c>text_config.hidden_act</c>).</summary>
    private static ClipActivation HuggingFaceActivation(string path)
    {
        var config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "config.json");
        if (!File.Exists(config)) return ClipActivation.QuickGelu;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config, Encoding.UTF8));
            var act = doc.RootElement.TryGetProperty("text_config", out var tc) && tc.TryGetProperty("hidden_act", out var a)
                ? a.GetString()
                : null;
            return act is "gelu" ? ClipActivation.Gelu : ClipActivation.QuickGelu;
        }
        catch (JsonException)
        {
            return ClipActivation.QuickGelu;
        }
    }
}
