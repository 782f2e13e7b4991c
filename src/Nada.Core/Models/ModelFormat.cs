using System.Text.Json.Serialization;

namespace Nada.Core.Models;

/// <summary>How the published file is encoded on disk.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelFormat>))]
public enum ModelFormat
{
    /// <summary>NVIDIA's TensorFlow 1.x pickle (StyleGAN2 official repository).</summary>
    [JsonStringEnumMemberName("tf-pickle")] TfPickle,
    /// <summary>NVIDIA's PyTorch pickle with persisted classes (stylegan2-ada-pytorch, stylegan3).</summary>
    [JsonStringEnumMemberName("nvlabs-pickle")] NvlabsPickle,
    /// <summary>A TorchScript archive (OpenAI's CLIP .pt files).</summary>
    [JsonStringEnumMemberName("torchscript")] TorchScript,
    /// <summary>A plain PyTorch state dict (torch.save zip).</summary>
    [JsonStringEnumMemberName("state-dict")] StateDict,
    /// <summary>A safetensors file.</summary>
    [JsonStringEnumMemberName("safetensors")] SafeTensors,
}
