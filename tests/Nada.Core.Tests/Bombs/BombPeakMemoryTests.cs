using Nada.Cli;
using Nada.Core.Imaging;
using Nada.Core.Tests.Checkpoints;
using Nada.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Nada.Core.Tests.Bombs;

/// <summary>
/// Every bomb, run through the real <c>nada</c> CLI in a fresh process with <c>NADA_PRINT_PEAK_RSS=1</c>: it must be
/// refused with one line naming the file and the limit, and the process's peak resident memory must stay within
/// <see cref="MarginMiB"/> of an ordinary run of the same command on a normal small file. Model bombs go through
/// <c>nada convert</c> (the path of uploads and of files placed in the models folder: the same readers), CLIP
/// bombs through <c>nada invert --clip</c>, image bombs through <c>nada invert --photo</c>.
/// Runs alone: it measures memory.
/// </summary>
[Collection(nameof(BombMemoryCollection))]
public sealed class BombPeakMemoryTests(BombPeakMemoryTests.Baselines baselines, ITestOutputHelper log)
    : IClassFixture<BombPeakMemoryTests.Baselines>
{
    /// <summary>How far above the ordinary run a refused bomb may peak.</summary>
    public const long MarginMiB = 32;

    public static TheoryData<string> ConvertBombs => new(ModelBombs.Descriptions.Keys.Where(k => k != "torchscript-code"));

    public static TheoryData<string> PhotoBombs => new(ImageBombs.Descriptions.Keys);

    [Theory]
    [MemberData(nameof(ConvertBombs))]
    public async Task ConvertRefusesModelBombInLittleMemory(string bomb)
    {
        var path = BombFolder.Get(bomb);
        var run = await Measure(["convert", path, Path.Combine(baselines.Scratch.Dir, bomb + "-out")]);
        AssertRefused(bomb, ModelBombs.Descriptions[bomb], path, run, baselines.Convert);
    }

    [Fact]
    public async Task ClipLoadRefusesTorchScriptBombInLittleMemory()
    {
        const string bomb = "torchscript-code";
        var path = BombFolder.Get(bomb);
        var run = await Measure(baselines.InvertArgs(baselines.Photo, path, bomb));
        AssertRefused(bomb, ModelBombs.Descriptions[bomb], path, run, baselines.InvertWithClip);
    }

    [Theory]
    [MemberData(nameof(PhotoBombs))]
    public async Task PhotoLoadRefusesImageBombInLittleMemory(string bomb)
    {
        var path = BombFolder.Get(bomb);
        var run = await Measure(baselines.InvertArgs(path, clip: null, bomb));
        AssertRefused(bomb, ImageBombs.Descriptions[bomb], path, run, baselines.Invert);
    }

    private void AssertRefused(string bomb, string description, string path, Run run, Run ordinary)
    {
        log.WriteLine($"{bomb} ({description}; {new FileInfo(path).Length / 1024} KiB on disk): exit {run.Exit}, " +
                      $"peak {run.PeakMiB} MiB against {ordinary.PeakMiB} MiB for the ordinary run");
        log.WriteLine("  " + run.Error);
        Assert.True(run.Exit == 1, $"{bomb}: exit {run.Exit}, output:\n{run.Output}");
        Assert.True(run.Error.StartsWith("error: ", StringComparison.Ordinal), $"{bomb}: no one-line error in:\n{run.Output}");
        Assert.Contains(path, run.Error);
        // What was over the limit: a limit by name, or for bombs that break no limit (overlapping ranges, cycles) what is wrong.
        Assert.Contains(ModelBombs.NonLimitRefusals.GetValueOrDefault(bomb, "ReadLimits."), run.Error);
        Assert.True(run.PeakMiB <= ordinary.PeakMiB + MarginMiB,
            $"{bomb}: peak {run.PeakMiB} MiB, more than {MarginMiB} MiB above the ordinary run's {ordinary.PeakMiB} MiB");
    }

    /// <summary>One CLI run: exit code, its "error:" line, peak resident memory.</summary>
    public sealed record Run(int Exit, string Error, long PeakMiB, string Output);

    private static async Task<Run> Measure(IEnumerable<string> args)
    {
        var result = await CliProcess.RunAsync(args, TimeSpan.FromMinutes(3), new Dictionary<string, string> { [PeakMemory.Variable] = "1" });
        var peak = result.Lines.Select(l => l.Text).LastOrDefault(l => l.StartsWith(PeakMemory.Prefix, StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException($"no '{PeakMemory.Prefix}' line in:\n{result.Output}");
        var error = result.Lines.Select(l => l.Text).FirstOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal)) ?? "";
        return new Run(result.Exit, error, long.Parse(peak[PeakMemory.Prefix.Length..]) / 1024, result.Output);
    }

    /// <summary>The ordinary runs the bombs are compared with, each measured once.</summary>
    public sealed class Baselines : IAsyncLifetime
    {
        internal CheckpointTestFiles.Scratch Scratch { get; } = new();
        public string Photo => Scratch.File("photo.png");
        public Run Convert { get; private set; } = null!;
        public Run Invert { get; private set; } = null!;
        public Run InvertWithClip { get; private set; } = null!;

        public IEnumerable<string> InvertArgs(string photo, string? clip, string name)
        {
            string[] args = ["invert", "--generator", CheckpointTestFiles.Parity("stylegan2_rosinality.pt"), "--photo", photo,
                "--out", Scratch.File(name + "-inv"), "--steps", "1"];
            return clip is null ? args : [.. args, "--clip", clip];
        }

        public async Task InitializeAsync()
        {
            var rgba = new byte[64 * 64 * 4];
            for (int i = 0; i < rgba.Length; i++) rgba[i] = (byte)(i % 4 == 3 ? 255 : i * 7);
            File.WriteAllBytes(Photo, ImageEncoder.EncodePng(rgba, 64, 64));
            Convert = await Ordinary(["convert", CheckpointTestFiles.Parity("stylegan2_rosinality.pt"), Scratch.File("ordinary")]);
            Invert = await Ordinary(InvertArgs(Photo, clip: null, "ordinary"));
            InvertWithClip = await Ordinary(InvertArgs(Photo, CheckpointTestFiles.Parity("clip_openai_tiny_vit_jit.pt"), "ordinary-clip"));
        }

        private static async Task<Run> Ordinary(IEnumerable<string> args)
        {
            var run = await Measure(args);
            Assert.True(run.Exit == 0, $"the ordinary run failed:\n{run.Output}");
            return run;
        }

        public Task DisposeAsync()
        {
            Scratch.Dispose();
            return Task.CompletedTask;
        }
    }
}

/// <summary>The peak-memory tests run alone (other tests' processes would not disturb a child's VmHWM, but the host's memory is shared).</summary>
[CollectionDefinition(nameof(BombMemoryCollection), DisableParallelization = true)]
public sealed class BombMemoryCollection;
