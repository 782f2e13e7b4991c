using System.Globalization;
using System.IO.Compression;
using System.Text;
using Nada.Core.Generators.StyleGan3;
using Nada.Web.Data;

namespace Nada.Web.Domains;

/// <summary>A domain's samples as one zip: <c>NAME-seedN.png</c> per seed and <c>about.txt</c> saying what they are.</summary>
public static class SampleZip
{
    /// <summary>The zip's bytes; <paramref name="pngs"/> are in the order of <paramref name="seeds"/>.</summary>
    public static byte[] Write(DomainRecord domain, string name, IReadOnlyList<int> seeds, IReadOnlyList<byte[]> pngs, float psi, InputTransform? transform)
    {
        if (pngs.Count != seeds.Count) throw new ArgumentException($"{pngs.Count} images for {seeds.Count} seeds.");
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (int i = 0; i < seeds.Count; i++)
            {
                // PNGs are compressed already: stored as they are.
                var entry = zip.CreateEntry($"{name}-seed{seeds[i].ToString(CultureInfo.InvariantCulture)}.png", CompressionLevel.NoCompression);
                using var s = entry.Open();
                s.Write(pngs[i]);
            }
            var about = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"NadaWeb domain: {domain.SourceText} -> {domain.TargetText}")
                .AppendLine(CultureInfo.InvariantCulture, $"Base generator: {domain.BaseModel} ({domain.Kind.ToString().ToLowerInvariant()} domain)")
                .AppendLine(CultureInfo.InvariantCulture, $"Seeds: {string.Join(", ", seeds)}")
                .AppendLine(CultureInfo.InvariantCulture, $"Truncation psi: {psi.ToString("0.###", CultureInfo.InvariantCulture)}");
            if (transform is not null && transform != InputTransform.Identity)
                about.AppendLine(CultureInfo.InvariantCulture,
                    $"StyleGAN3 transform: translate ({transform.TranslateX.ToString("0.###", CultureInfo.InvariantCulture)}, {transform.TranslateY.ToString("0.###", CultureInfo.InvariantCulture)}) image widths, rotate {transform.RotateDegrees.ToString("0.#", CultureInfo.InvariantCulture)} degrees");
            var text = zip.CreateEntry("about.txt", CompressionLevel.Optimal);
            using var t = new StreamWriter(text.Open(), new UTF8Encoding(false));
            t.Write(about.ToString());
        }
        return ms.ToArray();
    }
}
