using System.IO.Compression;
using System.Buffers.Binary;
using Nada.Core.Clip;
using Nada.Core.Generators;
using Nada.Core.Tests.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Editing;

/// <summary>The tiny parity networks and small file helpers for the editing tests.</summary>
internal static class EditTestData
{
    public static string GeneratorFile => Sg2TestData.File("stylegan2_rosinality.pt");
    public static string ClipFile => Sg2TestData.File("clip_openai_tiny_vit.pt");

    public static StyleGan2Generator LoadGenerator() => (StyleGan2Generator)GeneratorLoader.LoadGenerator(GeneratorFile);

    public static ClipEnsemble LoadClip() => new([(ClipLoader.Load(ClipFile), 1f)]);

    /// <summary>A copy of <paramref name="g"/> with every floating parameter moved by <paramref name="scale"/> * N(0, 1) (a stand-in adapted domain).</summary>
    public static StyleGan2Generator Perturbed(StyleGan2Generator g, float scale, long seed)
    {
        var copy = g.Clone();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var rng = new Generator((ulong)seed);
        foreach (var p in copy.parameters())
            p.add_(randn(p.shape, generator: rng) * scale * (p.abs().mean() + 1e-3f));
        return copy;
    }

    /// <summary>Folder under the test output for artefacts worth looking at.</summary>
    public static string OutputDir
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "test-output", "editing");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>Copies an artefact from <see cref="OutputDir"/> to /work/wt/edit-artifacts for the integrator's note, where that folder can be written.</summary>
    public static void CopyArtifact(string name)
    {
        const string artifacts = "/work/wt/edit-artifacts";
        try
        {
            if (!Directory.Exists(Path.GetDirectoryName(artifacts))) return;
            Directory.CreateDirectory(artifacts);
            File.Copy(Path.Combine(OutputDir, name), Path.Combine(artifacts, name), overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Elsewhere the copy under test-output is enough.
        }
    }

    /// <summary>
    /// Writes a width x height RGB PNG without holding its pixels: the first row is a gradient, every other row uses
    /// the "Up" filter with zero differences (a copy of the row above), so the compressed stream stays small.
    /// </summary>
    public static void WriteLargePng(string path, int width, int height)
    {
        using var fs = File.Create(path);
        fs.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;     // bit depth
        ihdr[9] = 2;     // RGB
        WriteChunk(fs, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + 3 * width];
            for (int x = 0; x < width; x++)
            {
                row[1 + 3 * x] = (byte)(x * 255 / Math.Max(1, width - 1));
                row[2 + 3 * x] = 90;
                row[3 + 3 * x] = (byte)(255 - row[1 + 3 * x]);
            }
            z.Write(row);
            var up = new byte[1 + 3 * width];
            up[0] = 2;
            for (int y = 1; y < height; y++) z.Write(up);
        }
        WriteChunk(fs, "IDAT", compressed.ToArray());
        WriteChunk(fs, "IEND", []);
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(c, Crc32([.. typeBytes, .. data]));
        s.Write(c);
    }

    /// <summary>CRC-32 (IEEE, reflected) as PNG chunks need it.</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}

/// <summary>
/// The editing tests that load or clone generators run alone: building a generator draws its random initial weights
/// from torch's global RNG, which the trainer's resume test (AdaptEndToEndTests) seeds with manual_seed and expects
/// no other thread to consume while it runs. The huge-photo test also measures peak resident memory, which needs quiet.
/// </summary>
[CollectionDefinition(nameof(EditingCollection), DisableParallelization = true)]
public sealed class EditingCollection;

internal static class TensorComparison
{
    /// <summary>Same shape and every element equal (bit for bit for finite floats).</summary>
    public static bool SameAs(this Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b.to(a.device)).all().item<bool>();
    }
}
