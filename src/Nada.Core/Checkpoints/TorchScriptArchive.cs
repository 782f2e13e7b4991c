using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Nada.Core.Checkpoints.Pickle;
using Nada.Core.Checkpoints.Torch;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints;

/// <summary>
/// Takes the parameters and buffers out of a TorchScript archive (the form of OpenAI's published CLIP
/// <c>ViT-B-32.pt</c>) without running it: <c>data.pkl</c> is read with the restricted unpickler, its
/// <c>__torch__.*</c> objects kept as records, and the <c>__parameters__</c> / <c>__buffers__</c> lists of each
/// class are read as text from <c>code/</c> to tell parameters and buffers from other tensor attributes.
/// </summary>
public static partial class TorchScriptArchive
{
    /// <summary>
    /// The archive's parameters and buffers under dotted state-dict names (e.g. <c>visual.conv1.weight</c>),
    /// as contiguous CPU tensors of their stored dtype, in state-dict order. The caller owns the tensors.
    /// </summary>
    /// <exception cref="CheckpointException">Not a TorchScript archive, truncated, or a refused global.</exception>
    public static Dictionary<string, Tensor> LoadParameters(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointReader.Guarded(path, "The file may be corrupt", context =>
        {
            using var stream = CheckpointReader.OpenChecked(path);
            var head = new byte[Math.Min(4, stream.Length)];
            stream.ReadExactly(head);
            stream.Position = 0;
            if (!TorchFile.IsZip(head))
            {
                throw new CheckpointException(path, "not a TorchScript archive (not a zip file)",
                    "Use the .pt file published with the model, or read it with CheckpointReader.Read");
            }
            using var zip = CheckpointReader.OpenZip(stream, context);
            var archive = TorchZipFile.Open(zip, context);
            var declarations = ReadDeclarations(zip, archive.Root);
            if (declarations.Count == 0)
            {
                throw new CheckpointException(path, "not a TorchScript archive (no code/ folder); it is a torch.save checkpoint",
                    "Read it with CheckpointReader.Read");
            }
            var root = GraphFinisher.Finish(archive.ReadPickle(), context) as PickledObject
                       ?? throw new CheckpointException(path, "the TorchScript archive's data.pkl does not hold a module");
            var result = new Dictionary<string, Tensor>();
            Collect(root, "", declarations, result, 0, context);
            return result;
        });
    }

    private sealed record Declaration(List<string> Parameters, List<string> Buffers);

    private static void Collect(PickledObject module, string prefix, Dictionary<string, Declaration> declarations,
        Dictionary<string, Tensor> result, int depth, PickleContext context)
    {
        if (depth > 100)
        {
            throw context.Fail("TorchScript modules are nested too deeply");
        }
        var state = module.State;
        if (declarations.TryGetValue(module.QualifiedName, out var declared))
        {
            foreach (var name in declared.Parameters.Concat(declared.Buffers))
            {
                if (state.TryGetValue(name, out var value) && value is Tensor tensor)
                {
                    result[prefix + name] = tensor;
                }
            }
        }
        else
        {
            // No declaration found: every tensor attribute counts.
            foreach (var (name, value) in state)
            {
                if (value is Tensor tensor)
                {
                    result[prefix + name] = tensor;
                }
            }
        }
        foreach (var (name, value) in state)
        {
            if (value is PickledObject child && child.Module.StartsWith("__torch__", StringComparison.Ordinal))
            {
                Collect(child, prefix + name + ".", declarations, result, depth + 1, context);
            }
        }
    }

    /// <summary>Class name -> declared parameter and buffer names, read as text from code/**/*.py.</summary>
    private static Dictionary<string, Declaration> ReadDeclarations(ZipArchive zip, string root)
    {
        var result = new Dictionary<string, Declaration>();
        var codeRoot = root + "code/";
        foreach (var entry in zip.Entries)
        {
            if (!entry.FullName.StartsWith(codeRoot, StringComparison.Ordinal) || !entry.FullName.EndsWith(".py", StringComparison.Ordinal)
                || entry.Length > 64 * 1024 * 1024)
            {
                continue;
            }
            var module = entry.FullName[codeRoot.Length..^3].Replace('/', '.');
            string text;
            using (var reader = new StreamReader(entry.Open(), Encoding.UTF8))
            {
                text = reader.ReadToEnd();
            }
            Declaration? current = null;
            foreach (var line in text.Split('\n'))
            {
                var classMatch = ClassLine().Match(line);
                if (classMatch.Success)
                {
                    current = new Declaration(new List<string>(), new List<string>());
                    result[module + "." + classMatch.Groups[1].Value] = current;
                    continue;
                }
                var listMatch = NamesLine().Match(line);
                if (current is not null && listMatch.Success)
                {
                    var names = QuotedName().Matches(listMatch.Groups[2].Value).Select(m => m.Groups[1].Value);
                    (listMatch.Groups[1].Value == "__parameters__" ? current.Parameters : current.Buffers).AddRange(names);
                }
            }
        }
        return result;
    }

    [GeneratedRegex(@"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*[(:]")]
    private static partial Regex ClassLine();

    [GeneratedRegex(@"^\s+(__parameters__|__buffers__)\s*=\s*\[(.*)\]\s*$")]
    private static partial Regex NamesLine();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex QuotedName();
}
