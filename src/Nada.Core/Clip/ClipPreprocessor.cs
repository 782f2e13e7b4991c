using TorchSharp;
using static TorchSharp.torch;

namespace Nada.Core.Clip;

/// <summary>
/// Differentiable CLIP preprocessing of generator images on their device: [-1, 1] to [0, 1], bicubic
/// resize of the shorter side to the input resolution (align_corners false, no antialiasing), center
/// crop, normalisation with CLIP's mean and std. Matches StyleGAN-NADA's tensor pipeline.
/// </summary>
public sealed class ClipPreprocessor
{
    /// <summary>Channel means of OpenAI's CLIP preprocessing (RGB).</summary>
    public static readonly IReadOnlyList<float> OpenAiMean = [0.48145466f, 0.4578275f, 0.40821073f];
    /// <summary>Channel standard deviations of OpenAI's CLIP preprocessing (RGB).</summary>
    public static readonly IReadOnlyList<float> OpenAiStd = [0.26862954f, 0.26130258f, 0.27577711f];

    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Side of the square output.</summary>
    public int Resolution { get; }

    /// <param name="resolution">The model's input resolution (<see cref="ClipModel.InputResolution"/>).</param>
    /// <param name="mean">Channel means; OpenAI's when null.</param>
    /// <param name="std">Channel standard deviations; OpenAI's when null.</param>
    public ClipPreprocessor(int resolution, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        if (resolution <= 0) throw new ArgumentOutOfRangeException(nameof(resolution), "The CLIP input resolution must be positive.");
        Resolution = resolution;
        this.mean = (mean ?? OpenAiMean).ToArray();
        this.std = (std ?? OpenAiStd).ToArray();
        if (this.mean.Length != 3 || this.std.Length != 3) throw new ArgumentException("Mean and std need one value per RGB channel.");
    }

    /// <summary>Preprocessing for a model, with OpenAI's constants.</summary>
    public static ClipPreprocessor For(ClipModel model) => new(model.InputResolution);

    /// <summary>Output size of the shorter-side resize for an H x W input (torchvision's rule: the longer side is truncated).</summary>
    public (long Height, long Width) ResizedSize(long height, long width)
    {
        if (height <= width) return (Resolution, (long)(Resolution * (double)width / height));
        return ((long)(Resolution * (double)height / width), Resolution);
    }

    /// <summary>Preprocesses images [N, 3, H, W] in [-1, 1] to CLIP input [N, 3, R, R]. Differentiable.</summary>
    public Tensor Forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Expected RGB images [N, 3, H, W], got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        var x = (images + 1) / 2;                                                   // [-1, 1] -> [0, 1]
        var (h, w) = (x.shape[2], x.shape[3]);
        var (rh, rw) = ResizedSize(h, w);
        if (rh != h || rw != w)
            x = nn.functional.interpolate(x, size: [rh, rw], mode: InterpolationMode.Bicubic, align_corners: false);
        var top = (long)Math.Round((rh - Resolution) / 2.0, MidpointRounding.ToEven);   // Python's round()
        var left = (long)Math.Round((rw - Resolution) / 2.0, MidpointRounding.ToEven);
        x = x.narrow(2, top, Resolution).narrow(3, left, Resolution);              // [N, 3, R, R]
        var m = tensor(mean, dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
        var s = tensor(std, dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
        return ((x - m) / s).MoveToOuterDisposeScope();
    }
}
