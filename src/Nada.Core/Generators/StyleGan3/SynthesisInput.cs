using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// NVIDIA's <c>SynthesisInput</c>: Fourier features. <c>freqs</c> [C, 2] (random frequencies in a disc of radius
/// the bandwidth) and <c>phases</c> [C] are fixed; W+ entry 0 sets, through <c>affine</c>, a rotation and a
/// translation of the features; <c>transform</c> [3, 3] is a further user transform (the inverse of the wanted image
/// transform, see <see cref="InputTransform"/>); a learned mixing <c>weight</c> [C, C] follows. Frequencies pushed
/// beyond the band by the transform are faded out. The grid covers the image plus margins at the input's sampling
/// rate.
/// </summary>
public sealed class SynthesisInput : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;              // [C, C]
    private readonly FullyConnectedLayer affine;    // w -> (r_c, r_s, t_x, t_y)
    private readonly Tensor transform;              // [3, 3]
    private readonly Tensor freqs;                  // [C, 2]
    private readonly Tensor phases;                 // [C]

    /// <summary>Creates the input with random frequencies and phases, as NVIDIA initialises it.</summary>
    /// <param name="wDim">Size of w.</param>
    /// <param name="channels">Feature channels C.</param>
    /// <param name="size">Output pixels per side (image plus margins).</param>
    /// <param name="samplingRate">Output sampling rate.</param>
    /// <param name="bandwidth">Output bandwidth (the first cutoff).</param>
    public SynthesisInput(int wDim, int channels, int size, double samplingRate, double bandwidth) : base(nameof(SynthesisInput))
    {
        Channels = channels;
        Size = size;
        SamplingRate = samplingRate;
        Bandwidth = bandwidth;
        using (var scope = NewDisposeScope())
        {
            // Random frequencies in a disc: direction uniform, radius shaped by exp(r^2)^(1/4), scaled to the bandwidth.
            var f = randn(channels, 2);                                             // [C, 2]
            var radii = f.square().sum([1], keepdim: true).sqrt();                  // [C, 1]
            f = f / (radii * radii.square().exp().pow(0.25)) * bandwidth;
            freqs = f.MoveToOuterDisposeScope();
            phases = (rand(channels) - 0.5).MoveToOuterDisposeScope();
        }
        weight = new Parameter(randn(channels, channels), true);
        affine = new FullyConnectedLayer(wDim, 4, weightInit: 0f, biasInit: [1f, 0f, 0f, 0f]);
        transform = eye(3);
        RegisterComponents();
    }

    /// <summary>Feature channels.</summary>
    public int Channels { get; }

    /// <summary>Output pixels per side.</summary>
    public int Size { get; }

    /// <summary>Output sampling rate.</summary>
    public double SamplingRate { get; }

    /// <summary>Output bandwidth.</summary>
    public double Bandwidth { get; }

    /// <summary>The stored user transform [3, 3] (written by <see cref="StyleGan3Generator.SetInputTransform"/>).</summary>
    internal Tensor TransformBuffer => transform;

    /// <summary>w [N, WDim] -> features [N, C, Size, Size].</summary>
    public override Tensor forward(Tensor w)
    {
        using var scope = NewDisposeScope();
        long n = w.shape[0];
        var device = w.device;

        // Learned rotation and translation from w, normalised so that (r_c, r_s) is a unit vector.
        var t = affine.forward(w);                                              // [N, 4]
        t = t / t.narrow(1, 0, 2).norm(1, true);
        var (rc, rs, tx, ty) = (t[.., 0], t[.., 1], t[.., 2], t[.., 3]);     // [N] each
        var zero = zeros(n, device: device);
        var one = ones(n, device: device);
        var mR = stack([rc, -rs, zero, rs, rc, zero, zero, zero, one], 1).reshape(n, 3, 3);     // inverse rotation
        var mT = stack([one, zero, -tx, zero, one, -ty, zero, zero, one], 1).reshape(n, 3, 3);  // inverse translation
        var transforms = mR.matmul(mT).matmul(transform.unsqueeze(0));        // [N, 3, 3]: rotate, translate, then the user's

        // Transform the frequencies and phases.
        var f0 = freqs.unsqueeze(0);                                            // [1, C, 2]
        var ph = phases.unsqueeze(0) + f0.matmul(transforms.narrow(1, 0, 2).narrow(2, 2, 1)).squeeze(2);  // [N, C]
        var fr = f0.matmul(transforms.narrow(1, 0, 2).narrow(2, 0, 2));        // [N, C, 2]

        // Fade out frequencies the transform pushed beyond the band.
        var amplitudes = (1 - (fr.norm(2, false) - Bandwidth) / (SamplingRate / 2 - Bandwidth)).clamp(0, 1);  // [N, C]

        // Sampling grid over the image and its margins.
        var theta = eye(2, 3, device: device);
        theta[0, 0] = tensor((float)(0.5 * Size / SamplingRate));
        theta[1, 1] = tensor((float)(0.5 * Size / SamplingRate));
        var grids = nn.functional.affine_grid(theta.unsqueeze(0), [1, 1, Size, Size], align_corners: false);  // [1, H, W, 2]

        // Fourier features, then the learned channel mixing.
        var x = grids.unsqueeze(3).matmul(fr.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3);  // [N, H, W, C]
        x = x + ph.unsqueeze(1).unsqueeze(2);
        x = (x * (Math.PI * 2)).sin();
        x = x * amplitudes.unsqueeze(1).unsqueeze(2);
        x = x.matmul((weight / Math.Sqrt(Channels)).t());                       // [N, H, W, C]
        return x.permute(0, 3, 1, 2).MoveToOuterDisposeScope();                 // [N, C, H, W]
    }
}
