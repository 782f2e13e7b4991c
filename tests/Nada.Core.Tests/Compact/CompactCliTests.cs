using Nada.Core.Adaptation.Losses;
using Nada.Core.Clip;
using Nada.Core.Editing;
using System.Globalization;
using Nada.Cli;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Tests.Checkpoints;
using static Nada.Core.Tests.Compact.CompactTestData;

namespace Nada.Core.Tests.Compact;

/// <summary>`nada adapt --domain-kind compact` and `nada sample --domain` on the tiny networks.</summary>
public sealed class CompactCliTests : IDisposable
{
    private readonly CheckpointTestFiles.Scratch _scratch = new();

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        var e = new StringWriter(CultureInfo.InvariantCulture);
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void AdaptTrainsOneCompactDomainPerTargetAndSampleMixesThem()
    {
        string run = _scratch.File("run");
        var (code, output, err) = Cli("adapt", "--generator", BaseFile, "--clip", ClipFile, "--target", "sketch", "--target", "pixar character",
            "--domain-kind", "compact", "--iters", "3", "--out", run, "--noise", "const", "--lambda-angle", "0.5");
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("directional@sketch", output);
        string sketch = Path.Combine(run, "domain", "01-sketch.safetensors"), pixar = Path.Combine(run, "domain", "02-pixar-character.safetensors");
        Assert.Contains($"compact domain \"sketch\" written to {sketch}", output);
        Assert.True(File.Exists(pixar));
        var info = CompactDomainFile.ReadInfo(pixar);
        Assert.Equal("pixar character", info.TargetText);
        Assert.Equal(0.1, info.Options!.LearningRate);          // the hyperdomainnet preset is the compact default
        Assert.Equal(0.5f, info.Options.LambdaAngle);

        string samples = _scratch.File("samples");
        (code, output, err) = Cli("sample", "--generator", BaseFile, "--seeds", "0-1", "--out", samples, "--domain", sketch + ":0.7", "--domain", pixar + ":-0.5");
        Assert.True(code == 0, err);
        Assert.Contains("01-sketch.safetensors", output);
        Assert.True(File.Exists(Path.Combine(samples, "seed0001.png")));

        (code, _, err) = Cli("sample", "--generator", OtherFile, "--seeds", "0", "--out", samples, "--domain", sketch);
        Assert.Equal(1, code);
        Assert.StartsWith("error: The compact domain '01-sketch.safetensors'", err);
        Assert.Contains("sg2ada.pkl", err);
        (code, _, err) = Cli("sample", "--generator", BaseFile, "--seeds", "0", "--out", samples, "--domain", sketch + ":9");
        Assert.Equal(1, code);
        Assert.Contains("between -5 and 5", err);
        (code, _, err) = Cli("sample", "--generator", sketch, "--seeds", "0", "--out", samples);
        Assert.Equal(1, code);
        Assert.Contains("compact domain, not a generator", err);
    }

    [Fact]
    public void SeveralTargetsNeedTheCompactKind()
    {
        var (code, _, err) = Cli("adapt", "--generator", BaseFile, "--clip", ClipFile, "--target", "sketch", "--target", "anime",
            "--iters", "2", "--out", _scratch.File("x"));
        Assert.Equal(1, code);
        Assert.Contains("compact", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    public void Dispose() => _scratch.Dispose();
}
