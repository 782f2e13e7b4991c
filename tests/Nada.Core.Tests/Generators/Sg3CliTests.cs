using System.Globalization;
using Nada.Cli;
using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>
/// StyleGAN3 through the command line, in-process: <c>nada sample</c> and <c>nada convert</c> on the parity pickles,
/// and <c>nada adapt</c> with adaptive layer freezing on config T, whose domain samples and round-trips through
/// our format.
/// </summary>
public sealed class Sg3CliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-sg3-cli-");

    public void Dispose() => _dir.Delete(true);

    private string Tmp(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Out, string Err) Nada(params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("sg3t")]
    [InlineData("sg3r")]
    public void SampleAndConvertRun(string name)
    {
        string pkl = Sg2TestData.File("nvlabs", name + ".pkl");
        var (code, output, err) = Nada("sample", "--generator", pkl, "--seeds", "0-3", "--truncation", "0.7", "--out", Tmp("direct"), "--grid");
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        var pngs = Directory.GetFiles(Tmp("direct"), "seed*.png").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["seed0000.png", "seed0001.png", "seed0002.png", "seed0003.png"], pngs);
        using var g = GeneratorLoader.LoadGenerator(pkl);
        var (pixels, w, h) = ImageEncoder.DecodePng(File.ReadAllBytes(Tmp("direct/seed0002.png")));
        Assert.Equal((g.Config.ImgResolution, g.Config.ImgResolution), (w, h));
        Assert.True(pixels.Distinct().Count() > 50, "the image should not be flat");
        Assert.Contains("4/4 images", output);

        (code, output, err) = Nada("convert", pkl, Tmp("converted"));
        Assert.True(code == 0, err);
        Assert.Contains("NvidiaStyleGan3", output);
        (code, _, err) = Nada("sample", "--generator", Tmp("converted.safetensors"), "--seeds", "0-3", "--truncation", "0.7", "--out", Tmp("converted-samples"));
        Assert.True(code == 0, err);
        foreach (var png in pngs)   // the same network gives the same pixels
            Assert.Equal(File.ReadAllBytes(Tmp("direct/" + png!)), File.ReadAllBytes(Tmp("converted-samples/" + png!)));

        (code, _, err) = Nada("convert", pkl, Tmp("old.pt"), "--to", "rosinality");
        Assert.Equal(1, code);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("StyleGan3", err);
    }

    [Fact]
    public void SampleTranslatesAndRotatesStyleGan3Only()
    {
        string pkl = Sg2TestData.File("nvlabs", "sg3t.pkl");
        var (code, _, err) = Nada("sample", "-g", pkl, "--seeds", "5", "--out", Tmp("plain"));
        Assert.True(code == 0, err);
        (code, _, err) = Nada("sample", "-g", pkl, "--seeds", "5", "--out", Tmp("moved"), "--translate", "0.25,-0.1", "--rotate", "15");
        Assert.True(code == 0, err);
        Assert.NotEqual(File.ReadAllBytes(Tmp("plain/seed0005.png")), File.ReadAllBytes(Tmp("moved/seed0005.png")));
        (code, _, err) = Nada("sample", "-g", pkl, "--seeds", "5", "--out", Tmp("zero"), "--translate", "0,0");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Tmp("plain/seed0005.png")), File.ReadAllBytes(Tmp("zero/seed0005.png")));

        (code, _, err) = Nada("sample", "-g", pkl, "--seeds", "5", "--out", Tmp("bad"), "--translate", "0.25");
        Assert.Equal(1, code);
        Assert.StartsWith("error: --translate must be two numbers", err);
        (code, _, err) = Nada("sample", "-g", Sg2TestData.File("nvlabs", "sg2ada.pkl"), "--seeds", "5", "--out", Tmp("sg2"), "--rotate", "10");
        Assert.Equal(1, code);
        Assert.Contains("need a StyleGAN3 generator", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AdaptWithLayerSelectionRunsAndTheDomainSamplesAndRoundTrips()
    {
        string pkl = Sg2TestData.File("nvlabs", "sg3t.pkl");
        string clip = Sg2TestData.File("clip_openai_tiny_vit.pt");
        string run = Tmp("run");
        var (code, output, err) = Nada("adapt", "--generator", pkl, "--clip", clip, "--source", "photo", "--target", "sketch",
            "--iters", "3", "--auto-layer-k", "4", "--auto-layer-iters", "1", "--auto-layer-batch", "2", "--batch", "2",
            "--sample-every", "3", "--checkpoint-every", "3", "--out", run);
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("step ", StringComparison.Ordinal)));
        string domain = Path.Combine(run, "domain", "generator.safetensors");
        Assert.True(File.Exists(domain));
        Assert.True(File.Exists(Path.Combine(run, "domain", "preview.png")));
        Assert.Contains("\"ChannelBase\"", File.ReadAllText(Path.Combine(run, "run.json")));   // the SG3 config is recorded

        // Layer selection trained some synthesis layers and nothing else.
        using var scope = NewDisposeScope();
        using var baseGen = GeneratorLoader.LoadGenerator(pkl);
        var (loaded, format) = GeneratorLoader.Load(domain);
        using var adapted = Assert.IsType<StyleGan3Generator>(loaded);
        Assert.Equal(GeneratorFormat.Nada, format);
        var before = baseGen.state_dict();
        var changed = adapted.state_dict().Where(kv => !kv.Value.equal(before[kv.Key]).all().item<bool>()).Select(kv => kv.Key).ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, n => Assert.StartsWith("synthesis.", n));
        Assert.DoesNotContain(changed, n => n.Contains("_filter", StringComparison.Ordinal) || n.EndsWith("magnitude_ema", StringComparison.Ordinal));
        var blocks = changed.Select(n => string.Join('.', n.Split('.').Take(2))).Distinct().ToList();
        Assert.InRange(blocks.Count, 1, 3 * 4);                     // at most k = 4 blocks per step, 3 steps
        Assert.DoesNotContain($"synthesis.{adapted.SynthesisLayers[^1].Spec.Name}", blocks);   // ToRGB never trains

        // The domain samples ...
        (code, _, err) = Nada("sample", "--generator", domain, "--seeds", "0-1", "--out", Tmp("domain-samples"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Tmp("domain-samples/seed0001.png")));
        // ... and round-trips through our format with every tensor and the same images.
        var again = GeneratorLoader.Save(adapted, Tmp("again"));
        using var reloaded = GeneratorLoader.LoadGenerator(again);
        var a = adapted.state_dict();
        foreach (var (n, t) in reloaded.state_dict()) Assert.True(t.equal(a[n]).all().item<bool>(), n);
        using var noGrad = no_grad();
        var z = SeedLatents.FromSeeds([0, 1], adapted.Config.ZDim);
        Assert.Equal(0.0, Sg2TestData.MaxAbs(reloaded.Generate(z, 0.7f), adapted.Generate(z, 0.7f)));
        var (_, meta) = SafeTensorsFile.Load(again);
        Assert.Equal(NadaFormat.StyleGan3FormatTag, meta["format"]);
    }

    [Fact]
    public void InvertAndEditRunOnStyleGan3()
    {
        string pkl = Sg2TestData.File("nvlabs", "sg3t.pkl");
        string clip = Sg2TestData.File("clip_openai_tiny_vit.pt");
        var (code, _, err) = Nada("sample", "-g", pkl, "--seeds", "2", "--out", Tmp("photo"));
        Assert.True(code == 0, err);
        string photo = Tmp("photo/seed0002.png");

        // Inverting the generator's own image: the reconstruction error falls.
        (code, var output, err) = Nada("invert", "-g", pkl, "--photo", photo, "--out", Tmp("inv"), "--steps", "12", "--space", "wplus");
        Assert.True(code == 0, err);
        var m = System.Text.RegularExpressions.Regex.Match(output, @"inverted: mse ([0-9.]+) -> ([0-9.]+)");
        Assert.True(m.Success, output);
        Assert.True(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) < double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), output);
        string latent = Tmp("inv/result/latent.safetensors");
        Assert.True(File.Exists(Tmp("inv/result/reconstruction.png")));

        // An edit from that latent, on a StyleGAN3 "domain" (a perturbed copy) named with its base, and one from a seed.
        string domain;
        int resolution;
        using (var g = GeneratorLoader.LoadGenerator(pkl))
        using (var scope = NewDisposeScope())
        {
            using (no_grad())
            {
                manual_seed(3);
                foreach (var (name, t) in g.named_parameters())
                    if (name.StartsWith("synthesis.L1_", StringComparison.Ordinal)) t.add_(randn_like(t) * 0.05f);
            }
            domain = GeneratorLoader.Save(g, Tmp("domain"));
            resolution = g.Config.ImgResolution;
        }
        (code, output, err) = Nada("edit", "-g", domain, "--base", pkl, "--clip", clip, "--text", "a sketch", "--latent", latent,
            "--steps", "4", "--out", Tmp("edit"));
        Assert.True(code == 0, err);
        Assert.Contains("step 4/4", output);
        foreach (var f in new[] { "latent.safetensors", "start.png", "edited.png", "strip.png", "edit.json" })
            Assert.True(File.Exists(Tmp("edit/result/" + f)), f);
        Assert.NotEqual(File.ReadAllBytes(Tmp("edit/result/start.png")), File.ReadAllBytes(Tmp("edit/result/edited.png")));
        (code, _, err) = Nada("edit", "-g", pkl, "--clip", clip, "--text", "a sketch", "--seed", "4", "--steps", "2", "--out", Tmp("edit-seed"));
        Assert.True(code == 0, err);
        var (pixels, w, h) = ImageEncoder.DecodePng(File.ReadAllBytes(Tmp("edit-seed/result/edited.png")));
        Assert.Equal((resolution, resolution), (w, h));
        Assert.True(pixels.Distinct().Count() > 50, "the edited image should not be flat");
    }
}
