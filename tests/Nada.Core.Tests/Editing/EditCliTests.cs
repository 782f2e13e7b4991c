using System.Globalization;
using Nada.Cli;
using Nada.Core.Editing;
using Nada.Core.Generators;
using Nada.Core.Imaging;
using Nada.Core.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>`nada invert`, `nada edit` and `nada blend` in-process on the tiny parity networks.</summary>
[Collection(nameof(EditingCollection))]
public sealed class EditCliTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private static (int Code, string Out, string Err) Nada(params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, params string[] fragments)
    {
        Assert.Equal(1, r.Code);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }

    private string Photo(StyleGan2Generator g)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return scratch.Write("photo.png", ImageEncoder.ToPngs(g.Generate(SeedLatents.FromSeeds([42], g.Config.ZDim)))[0]);
    }

    [Fact]
    public void InvertEditAndBlendWorkTogether()
    {
        using var g = EditTestData.LoadGenerator();
        string photo = Photo(g);
        string domain;
        using (var adapted = EditTestData.Perturbed(g, 0.05f, seed: 7)) domain = GeneratorLoader.Save(adapted, scratch.File("domain"));

        string inv = scratch.File("inv");
        var r = Nada("invert", "--generator", EditTestData.GeneratorFile, "--photo", photo, "--out", inv, "--steps", "20", "--space", "wplus");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("inverted: mse", r.Out);
        foreach (var f in new[] { "latent.safetensors", "reconstruction.png", "strip.png", "inversion.json" })
            Assert.True(File.Exists(Path.Combine(inv, "result", f)), f);
        Assert.True(File.Exists(Path.Combine(inv, "history.jsonl")));   // the run folder's step history
        string latent = Path.Combine(inv, "result", "latent.safetensors");

        string edit = scratch.File("edit");
        r = Nada("edit", "--generator", EditTestData.GeneratorFile, "--clip", EditTestData.ClipFile + ":1", "--text", "a sketch",
            "--latent", latent, "--out", edit, "--steps", "10", "--lr", "0.05", "--l2", "0.01");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("step 10/10", r.Out);
        foreach (var f in new[] { "latent.safetensors", "start.png", "edited.png", "strip.png", "edit.json" })
            Assert.True(File.Exists(Path.Combine(edit, "result", f)), f);
        Assert.Contains("\"Text\": \"a sketch\"", File.ReadAllText(Path.Combine(edit, "result", "edit.json")));

        // The base generator's latent on the domain: refused, unless the base is named.
        string domainEdit = scratch.File("domain-edit");
        AssertOneLineError(Nada("edit", "--generator", domain, "--clip", EditTestData.ClipFile, "--text", "a sketch", "--latent", latent,
            "--out", domainEdit, "--steps", "2"), "stylegan2_rosinality.pt", "domain.safetensors");
        r = Nada("edit", "--generator", domain, "--base", EditTestData.GeneratorFile, "--clip", EditTestData.ClipFile, "--text", "a sketch",
            "--latent", latent, "--out", domainEdit, "--steps", "2");
        Assert.True(r.Code == 0, r.Err);

        string blended = scratch.File("blend.png");
        r = Nada("blend", "--source", EditTestData.GeneratorFile, "--domain", domain, "--alpha", "0.5", "--latent", latent, "--out", blended);
        Assert.True(r.Code == 0, r.Err);
        var (_, w, h) = ImageEncoder.DecodePng(File.ReadAllBytes(blended));
        Assert.Equal(g.Config.ImgResolution, w);
        Assert.Equal(g.Config.ImgResolution, h);
        string side = scratch.File("side.png");
        r = Nada("blend", "--source", EditTestData.GeneratorFile, "--domain", domain, domain, "--alpha", "1", "--latent", latent, "--out", side);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(3 * w + 4 * 2, ImageEncoder.DecodePng(File.ReadAllBytes(side)).Width);

        // A latent made with the domain cannot be blended as if it came from the source.
        string fromSeed = scratch.File("seed-edit");
        r = Nada("edit", "--generator", domain, "--clip", EditTestData.ClipFile, "--text", "a sketch", "--seed", "3", "--out", fromSeed, "--steps", "2");
        Assert.True(r.Code == 0, r.Err);
        AssertOneLineError(Nada("blend", "--source", EditTestData.GeneratorFile, "--domain", domain, "--latent", Path.Combine(fromSeed, "result", "latent.safetensors"),
            "--out", scratch.File("x.png")), "domain.safetensors", "stylegan2_rosinality.pt");
    }

    [Fact]
    public void UserErrorsAreOneLine()
    {
        string notImage = scratch.Write("photo.jpg", "hello"u8.ToArray());
        AssertOneLineError(Nada("invert", "--generator", EditTestData.GeneratorFile, "--photo", notImage, "--out", scratch.File("o")), notImage);
        AssertOneLineError(Nada("edit", "--generator", EditTestData.GeneratorFile, "--clip", EditTestData.ClipFile, "--text", "", "--seed", "1",
            "--out", scratch.File("e")), "text is empty");
        AssertOneLineError(Nada("edit", "--generator", EditTestData.GeneratorFile, "--clip", EditTestData.ClipFile, "--text", "a cat", "--seed", "1",
            "--photo", notImage, "--out", scratch.File("e")), "exactly one");
        AssertOneLineError(Nada("edit", "--generator", EditTestData.GeneratorFile, "--clip", EditTestData.ClipFile, "--text", "a cat",
            "--latent", EditTestData.GeneratorFile, "--out", scratch.File("e")));
        AssertOneLineError(Nada("blend", "--source", EditTestData.GeneratorFile, "--domain", scratch.File("missing.safetensors"),
            "--latent", scratch.File("l.safetensors"), "--out", scratch.File("b.png")), "missing.safetensors");
    }
}
