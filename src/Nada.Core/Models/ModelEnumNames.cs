namespace Nada.Core.Models;

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
