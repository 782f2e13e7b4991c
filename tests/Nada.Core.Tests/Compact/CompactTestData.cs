using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Compact;

/// <summary>The tiny parity networks and small helpers for the compact-domain tests.</summary>
internal static class CompactTestData
{
    public static string BaseFile => CheckpointTestFiles.Parity("stylegan2_rosinality.pt");
    public static string OtherFile => CheckpointTestFiles.Parity("nvlabs", "sg2ada.pkl");
    public static string Sg3File => CheckpointTestFiles.Parity("nvlabs", "sg3t.pkl");
    public static string ClipFile => CheckpointTestFiles.Parity("clip_openai_tiny_vit.pt");

    /// <summary>A domain of <paramref name="g"/> with random offsets (scale <paramref name="scale"/>, seeded) on every non-to_rgb layer.</summary>
    public static CompactDomain RandomDomain(StyleGenerator g, GeneratorIdentity identity, int seed, float scale = 0.3f, string target = "random")
    {
        using var gen = new TorchSharp.torch.Generator((ulong)seed);
        var offsets = g.ModulatedLayers.Where(l => !l.IsToRgb)
            .ToDictionary(l => l.Name, l => (randn([l.InChannels], generator: gen) * scale).DetachFromDisposeScope());
        return new CompactDomain(Info(identity, target), offsets, $"{target}.safetensors");
    }

    /// <summary>Minimal metadata for a domain of <paramref name="identity"/>.</summary>
    public static CompactDomainInfo Info(GeneratorIdentity identity, string target) => new()
    {
        BaseGenerator = identity,
        Family = "StyleGan2",
        SourceText = "photo",
        TargetText = target,
        Created = DateTimeOffset.UnixEpoch,
    };

    /// <summary>Fixed W+ of 4 seeded latents at psi 0.7: [4, NumWs, WDim].</summary>
    public static Tensor FixedWPlus(StyleGenerator g, int count = 4)
    {
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds(Enumerable.Range(100, count).ToList(), g.Config.ZDim);
        return g.MapToWPlus(z, 0.7f);
    }

    public static Tensor Render(StyleGenerator g, Tensor wPlus)
    {
        using var noGrad = no_grad();
        return g.Synthesis(wPlus, NoiseMode.Const);
    }

    /// <summary>True when both tensors hold the same bits (same shape, every element equal).</summary>
    public static bool SameBits(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    /// <summary>Directional loss photo -> <paramref name="target"/> of a compact domain against its base on a fixed batch of 16 latents.</summary>
    public static float DirectionalLoss(string domainFile, string target = "sketch", string? generatorFile = null)
    {
        using var scope = NewDisposeScope();
        using var g = GeneratorLoader.LoadGenerator(generatorFile ?? BaseFile);
        var id = GeneratorIdentity.Of(g, Path.GetFileName(generatorFile ?? BaseFile));
        using var domain = CompactDomainFile.Load(domainFile);
        using var ensemble = new ClipEnsemble([(ClipLoader.Load(ClipFile), 1f)]);
        using var losses = new ClipLossSet(ensemble, new ClipLossWeights(Directional: 1f), "photo", target);
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds(Enumerable.Range(100, 16).ToList(), g.Config.ZDim);
        var w = g.MapToWPlus(z);
        var baseImages = g.Synthesis(w);
        using var lease = DomainMix.Apply(g, id, [(domain, 1f)]);
        return losses.Forward(baseImages, g.Synthesis(w)).Total.item<float>();
    }

    /// <summary>A compact request on the tiny networks (constant noise, previews and checkpoints rare).</summary>
    public static AdaptationRequest Request(string dir, int iterations, AdaptationOptions? options = null, params string[] targets) => new()
    {
        GeneratorPath = BaseFile,
        ClipModels = [new ClipModelChoice(ClipFile)],
        SourceText = "photo",
        TargetText = targets.Length > 0 ? targets[0] : "sketch",
        Targets = targets.Length > 1 ? targets : [],
        Iterations = iterations,
        OutputDirectory = dir,
        Kind = DomainKind.Compact,
        Options = options ?? AdaptationOptions.HyperDomainNetPreset with { TrainNoise = NoiseMode.Const, SampleEvery = 1000, CheckpointEvery = 1000 },
    };
}
