using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Generators.StyleGan3;

/// <summary>
/// NVIDIA's <c>MappingNetwork</c> (stylegan2-ada layout, unconditional): z is normalised to unit second moment,
/// then <c>fc0 .. fc(L-1)</c> with leaky ReLU and the mapping lr multiplier give w. <c>w_avg</c> is the tracked
/// average w, the centre of truncation. Truncation and broadcasting to W+ are done by
/// <see cref="StyleGenerator.MapToWPlus"/>.
/// </summary>
public sealed class MappingNetwork : nn.Module<Tensor, Tensor>
{
    private readonly List<FullyConnectedLayer> _layers = [];
    private readonly Tensor w_avg;  // [WDim]

    /// <summary>Creates the network for <paramref name="config"/> (random weights, zero average).</summary>
    public MappingNetwork(StyleGan3Config config) : base(nameof(MappingNetwork))
    {
        for (int i = 0; i < config.MappingLayers; i++)
        {
            var fc = new FullyConnectedLayer(i == 0 ? config.ZDim : config.WDim, config.WDim, lrelu: true, lrMultiplier: config.LrMultiplier);
            _layers.Add(fc);
            register_module($"fc{i}", fc);
        }
        w_avg = zeros(config.WDim);
        RegisterComponents();
    }

    /// <summary>The average w [WDim].</summary>
    public Tensor WAvg => w_avg;

    /// <summary>z [N, ZDim] -> w [N, WDim]; each layer runs in its own dispose scope.</summary>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var x = z.to(ScalarType.Float32);
        x = x * (x.square().mean([1], keepdim: true) + 1e-8f).rsqrt();         // [N, ZDim], unit second moment
        foreach (var fc in _layers)
        {
            using var layerScope = NewDisposeScope();
            x = fc.forward(x).MoveToOuterDisposeScope();                        // [N, WDim]
        }
        return x.MoveToOuterDisposeScope();
    }
}
