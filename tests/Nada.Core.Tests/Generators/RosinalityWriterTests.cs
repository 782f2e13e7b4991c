using System.IO.Compression;
using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>SaveRosinality writes a torch.save zip that the checkpoint reader (and so torch.load's layout) reads back exactly.</summary>
public class RosinalityWriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-rosw-");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void WrittenCheckpointReadsBackBitExact()
    {
        using var scope = NewDisposeScope();
        // Start from the NVIDIA pickle so the written file is not a copy of an existing rosinality file.
        using var g = GeneratorLoader.LoadGenerator(Sg2TestData.File("nvlabs", "sg2ada.pkl"));
        var path = Path.Combine(_dir.FullName, "ada as rosinality.pt");
        GeneratorLoader.SaveRosinality(g, path);

        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.Equal("ada_as_rosinality/data.pkl", zip.Entries[0].FullName);
            Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength)); // stored, not deflated
            using var v = new StreamReader(zip.GetEntry("ada_as_rosinality/version")!.Open());
            Assert.Equal("3", v.ReadToEnd().Trim());
        }

        var graph = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(path));
        Assert.Equal(["g_ema", "latent_avg"], graph.Keys);
        var sd = Assert.IsType<Dictionary<string, object?>>(graph["g_ema"]);
        var ours = g.state_dict();
        Assert.Equal(ours.Keys.Where(k => k != "latent_avg").Order(), sd.Keys.Order());
        foreach (var (name, value) in sd)
        {
            var t = Assert.IsAssignableFrom<Tensor>(value);
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.Equal(0.0, Sg2TestData.MaxAbs(t, ours[name]));
        }
        Assert.Equal(0.0, Sg2TestData.MaxAbs(Assert.IsAssignableFrom<Tensor>(graph["latent_avg"]), g.LatentAvg));

        var (back, format) = GeneratorLoader.Load(path);
        using var _ = back;
        Assert.Equal(GeneratorFormat.Rosinality, format);
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds([0, 1], g.Config.ZDim);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(back.Generate(z, 0.7f), g.Generate(z, 0.7f)));
        // The NVIDIA clamp is not part of the rosinality layout: the reloaded config has none.
        Assert.Null(((Nada.Core.Generators.StyleGan2.StyleGan2Config)back.Config).ConvClamp);
    }

    /// <summary>A bare state dict and a training checkpoint with only "g" load too; latent_avg is then the seeded mean of w.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BareStateDictAndGKeyLoad(bool underG)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        using var g = new StyleGan2Generator(Core.Generators.StyleGan2.StyleGan2Config.Tiny(16, dim: 12, channels: 8, mappingLayers: 3) with { LrMultiplier = 0.01f });
        var sd = g.state_dict().Where(kv => kv.Key != "latent_avg").ToDictionary(kv => kv.Key, kv => kv.Value);
        var path = Path.Combine(_dir.FullName, "bare.pt");
        TorchZipWriter.Save(path, underG ? [("g", sd), ("args", (object)zeros(1))] : sd.Select(kv => (kv.Key, (object)kv.Value)).ToList());
        var (back, format) = GeneratorLoader.Load(path);
        using var _ = back;
        Assert.Equal(GeneratorFormat.Rosinality, format);
        Assert.Equal(12, back.Config.ZDim);
        Assert.Equal(3, ((Nada.Core.Generators.StyleGan2.StyleGan2Config)back.Config).MappingLayers);
        using var noGrad = no_grad();
        Assert.Equal(0.0, Sg2TestData.MaxAbs(back.LatentAvg, RosinalityFormat.MeanLatent(g)));
        var z = randn(2, 12);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(back.Synthesis(g.MapToWPlus(z)), g.Synthesis(g.MapToWPlus(z))));
    }
}
