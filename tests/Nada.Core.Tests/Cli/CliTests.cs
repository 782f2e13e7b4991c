using Nada.Cli;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Tests.Generators;

namespace Nada.Core.Tests.Cli;

/// <summary>`nada convert` and `nada sample` run in-process: exit codes, files, messages.</summary>
public class CliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nada-cli-");

    public void Dispose() => _dir.Delete(true);

    private string Tmp(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Out, string Err) Nada(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static void AssertOneLineError(string err, params string[] fragments)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", err);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }

    [Fact]
    public void ConvertThenSampleWithGrid()
    {
        var (code, output, err) = Nada("convert", Sg2TestData.File("nvlabs", "sg2ada.pkl"), Tmp("ada"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Tmp("ada.safetensors")));
        Assert.True(File.Exists(Tmp("ada.json")));
        Assert.Contains("NvidiaAdaPytorch", output);

        (code, output, err) = Nada("sample", "--generator", Tmp("ada.safetensors"), "--seeds", "3-12", "--truncation", "0.7",
            "--out", Tmp("imgs"), "--grid", "--noise", "random");
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        var pngs = Directory.GetFiles(Tmp("imgs"), "seed*.png").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(Enumerable.Range(3, 10).Select(s => $"seed{s:D4}.png"), pngs);
        var (_, w, h) = ImageEncoder.DecodePng(File.ReadAllBytes(Tmp("imgs/seed0003.png")));
        using var g = GeneratorLoader.LoadGenerator(Tmp("ada.safetensors"));
        Assert.Equal(g.Config.ImgResolution, w);
        Assert.Equal(g.Config.ImgResolution, h);
        var (_, gw, gh) = ImageEncoder.DecodePng(File.ReadAllBytes(Tmp("imgs/grid.png")));
        Assert.Equal(4 * w + 5 * 2, gw);            // 10 images: 4 columns, 3 rows, 2 px padding
        Assert.Equal(3 * h + 4 * 2, gh);
        Assert.Contains("8/10 images", output);     // progress per batch of 8
        Assert.Contains("10/10 images", output);
    }

    [Fact]
    public void ConvertToRosinalityWritesALoadablePt()
    {
        var (code, output, err) = Nada("convert", Sg2TestData.File("nvlabs", "sg2tf.pkl"), Tmp("tf.pt"), "--to", "rosinality");
        Assert.True(code == 0, err);
        Assert.Contains("NvidiaTensorFlow", output);
        var (g, format) = GeneratorLoader.Load(Tmp("tf.pt"));
        using var _ = g;
        Assert.Equal(Core.Checkpoints.GeneratorLoading.GeneratorFormat.Rosinality, format);
    }

    [Fact]
    public void SampleIsDeterministicWithConstNoise()
    {
        var args = new[] { "sample", "-g", Sg2TestData.File("stylegan2_rosinality.pt"), "--seeds", "1,2", "--out", Tmp("a") };
        Assert.Equal(0, Nada(args).Code);
        args[^1] = Tmp("b");
        Assert.Equal(0, Nada(args).Code);
        Assert.Equal(File.ReadAllBytes(Tmp("a/seed0002.png")), File.ReadAllBytes(Tmp("b/seed0002.png")));
        Assert.NotEqual(File.ReadAllBytes(Tmp("a/seed0001.png")), File.ReadAllBytes(Tmp("a/seed0002.png")));
    }

    [Fact]
    public void MissingFileIsOneLineError()
    {
        var (code, _, err) = Nada("sample", "--generator", Tmp("missing.pkl"), "--out", Tmp("o"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "missing.pkl", "not found");
        (code, _, err) = Nada("convert", Tmp("missing.pt"), Tmp("x"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "missing.pt");
    }

    [Fact]
    public void HtmlPageSavedAsPklIsOneLineError()
    {
        File.WriteAllText(Tmp("ffhq.pkl"), "<!DOCTYPE html>\n<html><body>Quota exceeded</body></html>\n");
        var (code, _, err) = Nada("convert", Tmp("ffhq.pkl"), Tmp("out"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "ffhq.pkl");
        Assert.False(File.Exists(Tmp("out.safetensors")));
    }

    [Fact]
    public void TruncatedFileIsOneLineError()
    {
        var bytes = File.ReadAllBytes(Sg2TestData.File("nvlabs", "sg2ada.pkl"));
        File.WriteAllBytes(Tmp("cut.pkl"), bytes[..(bytes.Length * 2 / 3)]);
        var (code, _, err) = Nada("sample", "-g", Tmp("cut.pkl"), "--out", Tmp("o"));
        Assert.Equal(1, code);
        AssertOneLineError(err, "cut.pkl");
    }

    [Theory]
    [InlineData("5-2")]
    [InlineData("x")]
    [InlineData("-3")]
    public void BadSeedsAreOneLineErrors(string seeds)
    {
        var (code, _, err) = Nada("sample", "-g", Sg2TestData.File("stylegan2_rosinality.pt"), "--seeds", seeds, "--out", Tmp("o"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err.Trim());
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void BadNoiseModeIsRejected()
    {
        var (code, _, err) = Nada("sample", "-g", Sg2TestData.File("stylegan2_rosinality.pt"), "--noise", "loud", "--out", Tmp("o"));
        Assert.NotEqual(0, code);
        Assert.Contains("loud", err);
    }
}
