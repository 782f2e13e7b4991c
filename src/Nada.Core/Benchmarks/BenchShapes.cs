using Nada.Core.Clip;
using Nada.Core.Generators.StyleGan2;
using Nada.Core.Generators.StyleGan3;

namespace Nada.Core.Benchmarks;

/// <summary>The network shapes a benchmark runs: the generator, the CLIP ensemble, and the k of the real-selection workload.</summary>
/// <param name="Name">"full", "r256" or "small" (see <see cref="Parse"/>).</param>
/// <param name="Generator">StyleGAN2 architecture (random weights).</param>
/// <param name="Clip">CLIP architectures of the ensemble, each with weight 1 (random weights).</param>
/// <param name="SelectionK">W+ entries the real-selection workload trains (below the W+ count).</param>
/// <param name="SampleBatch">Images per sampling step.</param>
/// <param name="SampleTruncation">Truncation psi of the sampling workload.</param>
/// <param name="Sg3">The StyleGAN3 architecture of the StyleGAN3 workloads (8, 9); null: config T at the generator's resolution.</param>
public sealed record BenchShapes(string Name, StyleGan2Config Generator, IReadOnlyList<ClipConfig> Clip, int SelectionK,
    int SampleBatch = 8, float SampleTruncation = 0.7f, StyleGan3Config? Sg3 = null)
{
    /// <summary>The StyleGAN3 architecture of workloads 8 and 9.</summary>
    public StyleGan3Config StyleGan3 => Sg3 ?? StyleGan3Config.T(Generator.ImgResolution, Generator.WDim);

    /// <summary>StyleGAN2 FFHQ config-f (1024 px, 512-dim z and w, 8 mapping layers, channels min(32768 / res, 512)) and CLIP ViT-B/32 + ViT-B/16; k 12 of 18.</summary>
    public static BenchShapes Full { get; } = new("full", ConfigF(1024, 512, 8, 32768), [ViTB(32), ViTB(16)], 12);

    /// <summary>
    /// The shapes of the issue's side-by-side memory table against the reference: a 256 px generator with config-f's
    /// widths (512-dim z and w, 8 mapping layers, channels min(32768 / res, 512), 14 W+ entries) and CLIP ViT-B/32 alone;
    /// k 12 of 14.
    /// </summary>
    public static BenchShapes R256 { get; } = new("r256", ConfigF(256, 512, 8, 32768), [ViTB(32)], 12);

    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["full", "r256", "small"];

    /// <summary>The shapes named <paramref name="name"/>; throws an <see cref="ArgumentException"/> naming the choices.</summary>
    public static BenchShapes Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "full" => Full,
        "r256" => R256,
        "small" => Small,
        _ => throw new ArgumentException($"Unknown shapes '{name}'; use one of {string.Join(", ", Names)}."),
    };

    /// <summary>Tiny shapes for CI on a CPU: a 64 px generator with 64-dim latents and 2-layer ViT-B-like CLIPs of width 128 (patch 32 and 16).</summary>
    public static BenchShapes Small { get; } = new("small", ConfigF(64, 64, 2, 4096, maxChannels: 64), [SmallViT(32), SmallViT(16)], 7,
        Sg3: new StyleGan3Config(64, 64, 64, ChannelBase: 1024, ChannelMax: 64, NumLayers: 6, MarginSize: 4).Validate());

    /// <summary>Config-f style channel table: min(<paramref name="channelBase"/> / res, <paramref name="maxChannels"/>) at every resolution.</summary>
    public static StyleGan2Config ConfigF(int resolution, int dim, int mappingLayers, int channelBase, int maxChannels = 512)
    {
        var ch = new Dictionary<int, int>();
        for (int r = 4; r <= resolution; r *= 2) ch[r] = Math.Min(channelBase / r, maxChannels);
        return new StyleGan2Config(resolution, dim, dim, mappingLayers, ch).Validate();
    }

    /// <summary>The shapes in words: "StyleGAN2 256 px (z/w 512, 8 mapping layers, channels 4:512 ... 256:128, 14 W+); CLIP ViT-B/32".</summary>
    public string Describe()
    {
        var g = Generator;
        var channels = string.Join(" ", g.Channels.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}:{kv.Value}"));
        var clips = string.Join(" + ", Clip.Select(c => c.IsVisionTransformer
            ? $"ViT (width {c.VisionWidth}, {c.VisionLayers[0]} layers, patch {c.VisionPatchSize}, {c.ImageResolution} px; text width {c.TransformerWidth}, {c.TransformerLayers} layers)"
            : $"ResNet (width {c.VisionWidth}, {c.ImageResolution} px)"));
        var t = StyleGan3;
        return $"StyleGAN2 {g.ImgResolution} px (z/w {g.ZDim}/{g.WDim}, {g.MappingLayers} mapping layers, channels {channels}, {g.NumWs} W+ entries); CLIP {clips}; selection k {SelectionK}; sampling batch {SampleBatch}; " +
               $"StyleGAN3 (workloads 8, 9) {t.ImgResolution} px, {(t.UseRadialFilters ? "config R" : "config T")}, {t.NumLayers} layers, channel base {t.ChannelBase}, max {t.ChannelMax}, {t.NumWs} W+ entries";
    }

    /// <summary>OpenAI's ViT-B/<paramref name="patch"/> at 224 px: embed 512, width 768, 12 layers; text width 512, 12 layers, vocab 49408, context 77.</summary>
    public static ClipConfig ViTB(int patch) => new(512, 224, [12], 768, patch, 77, 49408, 512, 8, 12);

    private static ClipConfig SmallViT(int patch) => new(64, 224, [2], 128, patch, 77, 49408, 128, 2, 2);
}
