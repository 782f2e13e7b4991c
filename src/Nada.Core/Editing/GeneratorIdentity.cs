using System.Security.Cryptography;
using System.Text;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>
/// Which generator a latent belongs to: the SHA-256 of the generator's tensors (state-dict names and float32
/// values, in name order) plus its shape. Hashing the tensors rather than the file keeps the identity when a
/// checkpoint is converted to another format (a rosinality <c>.pt</c> and its NadaWeb <c>.safetensors</c>
/// are the same generator).
/// </summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the generator's tensors.</param>
/// <param name="ImgResolution">Output resolution in pixels.</param>
/// <param name="NumWs">Entries of W+.</param>
/// <param name="WDim">Size of each W entry.</param>
/// <param name="Name">File name the generator was loaded from (for messages; not part of the match).</param>
public sealed record GeneratorIdentity(string Sha256, int ImgResolution, int NumWs, int WDim, string Name)
{
    /// <summary>Computes the identity of a loaded generator; <paramref name="name"/> is usually its file name.</summary>
    public static GeneratorIdentity Of(StyleGenerator generator, string name)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var scope = NewDisposeScope())
        {
            foreach (var (key, t) in generator.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                sha.AppendData(Encoding.UTF8.GetBytes(key + "\0" + string.Join(",", t.shape) + "\0"));
                var data = t.detach().to(ScalarType.Float32).cpu().contiguous();
                sha.AppendData(data.bytes);
            }
        }
        var c = generator.Config;
        return new GeneratorIdentity(Convert.ToHexStringLower(sha.GetHashAndReset()), c.ImgResolution, c.NumWs, c.WDim, name);
    }

    /// <summary>Whether both identities name the same generator (hash and shape; the name is ignored).</summary>
    public bool SameGeneratorAs(GeneratorIdentity other) =>
        string.Equals(Sha256, other.Sha256, StringComparison.OrdinalIgnoreCase)
        && ImgResolution == other.ImgResolution && NumWs == other.NumWs && WDim == other.WDim;

    /// <summary>Whether a W+ of this generator has the shape the other generator reads.</summary>
    public bool SameShapeAs(GeneratorIdentity other) => NumWs == other.NumWs && WDim == other.WDim;

    /// <summary>A short description for messages: name, size, W+ shape and hash prefix.</summary>
    public string Describe() => $"'{Name}' ({ImgResolution} px, W+ {NumWs}x{WDim}, sha256 {Sha256[..Math.Min(12, Sha256.Length)]})";
}
