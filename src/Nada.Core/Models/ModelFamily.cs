using System.Text.Json.Serialization;

namespace Nada.Core.Models;

/// <summary>The network family a registry entry belongs to (decides which loader reads it).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelFamily>))]
public enum ModelFamily
{
    [JsonStringEnumMemberName("StyleGAN2")] StyleGAN2,
    [JsonStringEnumMemberName("StyleGAN2-ADA")] StyleGAN2Ada,
    [JsonStringEnumMemberName("StyleGAN3")] StyleGAN3,
    [JsonStringEnumMemberName("CLIP")] Clip,
}

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

/// <summary>JSON spellings of <see cref="ModelFamily"/> and <see cref="ModelFormat"/> for display.</summary>
public static class ModelEnumNames
{
    public static string Name(this ModelFamily family) => family switch
    {
        ModelFamily.StyleGAN2 => "StyleGAN2",
        ModelFamily.StyleGAN2Ada => "StyleGAN2-ADA",
        ModelFamily.StyleGAN3 => "StyleGAN3",
        ModelFamily.Clip => "CLIP",
        _ => family.ToString(),
    };

    public static string Name(this ModelFormat format) => format switch
    {
        ModelFormat.TfPickle => "tf-pickle",
        ModelFormat.NvlabsPickle => "nvlabs-pickle",
        ModelFormat.TorchScript => "torchscript",
        ModelFormat.StateDict => "state-dict",
        ModelFormat.SafeTensors => "safetensors",
        _ => format.ToString(),
    };
}
