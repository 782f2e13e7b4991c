using Nada.Core.Checkpoints;
using Xunit.Abstractions;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>
/// The default limits leave real files room: every parity checkpoint (torch zip, NVIDIA and TF pickles, TorchScript,
/// safetensors) loads under the default <see cref="ReadLimits.MaxExpansion"/> alone, without the small-file allowance
/// that would otherwise admit these small files whatever they made. The smallest factor each file needs is logged.
/// </summary>
public sealed class ReadLimitsHeadroomTests(ITestOutputHelper log)
{
    public static TheoryData<string> Files => new()
    {
        "stylegan2_rosinality.pt", "nvlabs/sg2ada.pkl", "nvlabs/sg2tf.pkl", "nvlabs/sg3r.pkl", "nvlabs/sg3t.pkl",
        "clip_openai_tiny_vit.pt", "clip_openai_tiny_vit_jit.pt", "stylegan2_expected.safetensors", "clip_expected.safetensors",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void RealFileLoadsWithinTheDefaultExpansion(string file)
    {
        var path = Parity(file.Split('/'));
        int? needed = null;
        string? refusal = null;
        for (int factor = 1; factor <= ReadLimits.Default.MaxExpansion && needed is null; factor++)
        {
            var limits = ReadLimits.Default with { MaxExpansion = factor, SmallFileAllowanceBytes = 0 };
            using var scope = NewDisposeScope();
            try
            {
                if (file.EndsWith("_jit.pt", StringComparison.Ordinal)) TorchScriptArchive.LoadParameters(path, limits);
                else CheckpointReader.Read(path, limits);
                needed = factor;
            }
            catch (CheckpointException e)
            {
                refusal = e.Problem;
            }
        }
        log.WriteLine($"{file} ({new FileInfo(path).Length / 1024} KiB): loads with MaxExpansion = {needed?.ToString() ?? "none up to the default"}; last refusal: {refusal ?? "-"}");
        Assert.True(needed is not null, $"{file} needs more than the default expansion ({ReadLimits.Default.MaxExpansion}): {refusal}");
    }
}
