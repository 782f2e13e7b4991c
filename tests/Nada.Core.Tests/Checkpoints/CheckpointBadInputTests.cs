using System.IO.Compression;
using System.Text;
using Nada.Core.Checkpoints;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Files a user may pick by mistake: each gives one clear line naming the file.</summary>
public sealed class CheckpointBadInputTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static CheckpointException AssertFails(string path, string expected)
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void MissingFile() => AssertFails(_scratch.File("nope.pt"), "not found");

    [Fact]
    public void EmptyFile() => AssertFails(_scratch.Write("empty.pkl", []), "empty");

    [Fact]
    public void Folder()
    {
        Directory.CreateDirectory(_scratch.File("dir.pt"));
        AssertFails(_scratch.File("dir.pt"), "folder");
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(0.999)]
    public void TruncatedZipCheckpoint(double fraction)
    {
        var bytes = File.ReadAllBytes(Parity("stylegan2_rosinality.pt"));
        var path = _scratch.Write("cut.pt", bytes[..(int)(bytes.Length * fraction)]);
        AssertFails(path, "truncated");
    }

    [Theory]
    [InlineData(0.001)]
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.999)]
    public void TruncatedNvidiaPickle(double fraction)
    {
        var bytes = File.ReadAllBytes(Parity("nvlabs", "sg2ada.pkl"));
        var path = _scratch.Write("cut.pkl", bytes[..(int)(bytes.Length * fraction)]);
        AssertFails(path, "truncated");
    }

    [Theory]
    [InlineData(12)]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public void TruncatedSafetensors(double cut)
    {
        var bytes = File.ReadAllBytes(Parity("stylegan2_expected.safetensors"));
        int length = cut > 1 ? (int)cut : (int)(bytes.Length * cut);
        var path = _scratch.Write("cut.safetensors", bytes[..length]);
        // A header cut short no longer parses as safetensors; a body cut short is reported as truncated.
        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Throws<CheckpointException>(() => SafeTensorsFile.Load(path));
    }

    [Fact]
    public void HtmlPageSavedAsPkl()
    {
        var html = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in</body></html>\n"u8.ToArray();
        AssertFails(_scratch.Write("ffhq.pkl", html), "HTML");
    }

    [Fact]
    public void ZipThatIsNotATorchArchive()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var s = zip.CreateEntry("model/README.txt").Open();
            s.Write("weights are elsewhere"u8);
        }
        AssertFails(_scratch.Write("model.pt", memory.ToArray()), "not a PyTorch checkpoint");
    }

    [Fact]
    public void UnknownPickleProtocol()
    {
        var bytes = new byte[] { 0x80, 0x07, (byte)'N', (byte)'.' };
        AssertFails(_scratch.Write("future.pkl", bytes), "unknown pickle protocol 7");
    }

    [Fact]
    public void TarArchive()
    {
        var bytes = new byte[1024];
        Encoding.ASCII.GetBytes("model.pt").CopyTo(bytes, 0);
        Encoding.ASCII.GetBytes("ustar").CopyTo(bytes, 257);
        AssertFails(_scratch.Write("old.pt", bytes), "tar archive");
    }

    [Fact]
    public void RandomBytes()
    {
        var bytes = Enumerable.Range(0, 64).Select(i => (byte)(i * 37 + 11)).ToArray();
        AssertFails(_scratch.Write("noise.bin", bytes), "unrecognised format");
    }

    [Fact]
    public void FormatIsDetectedByContentNotExtension()
    {
        var copy = _scratch.Write("misnamed.safetensors", File.ReadAllBytes(Parity("stylegan2_rosinality.pt")));
        var graph = Assert.IsType<Dictionary<string, object?>>(CheckpointReader.Read(copy));
        Assert.Contains("g_ema", graph.Keys);
        foreach (var t in ((Dictionary<string, object?>)graph["g_ema"]!).Values.Cast<TorchSharp.torch.Tensor>())
        {
            t.Dispose();
        }
    }
}
