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
    /// <param name="path">The archive.</param>
    /// <param name="limits">What reading it may cost; <see cref="ReadLimits.Default"/> when null.</param>
    /// <exception cref="CheckpointException">Not a TorchScript archive, truncated, a refused global, or more than
    /// <paramref name="limits"/> allow.</exception>
    public static Dictionary<string, Tensor> LoadParameters(string path, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointReader.Guarded(path, limits, "The file may be corrupt", context =>
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
            using var zip = GuardedZip.Open(stream, context);
            var archive = TorchZipFile.Open(zip, context);
            var declarations = ReadDeclarations(zip, archive.Root, context);
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

    /// <summary>
    /// True when <paramref name="path"/> is a zip archive with TorchScript's <c>constants.pkl</c> or <c>code/</c>
    /// entries (its directory checked as every archive's is; nothing is decompressed).
    /// </summary>
    /// <exception cref="CheckpointException">The file is missing, or a zip archive that is corrupt or lists too many entries.</exception>
    public static bool IsArchive(string path, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointReader.Guarded(path, limits, "The file may be corrupt", context =>
        {
            using var stream = CheckpointReader.OpenChecked(path);
            var head = new byte[Math.Min(4, stream.Length)];
            stream.ReadExactly(head);
            stream.Position = 0;
            if (!TorchFile.IsZip(head))
            {
                return false;
            }
            using var zip = GuardedZip.Open(stream, context);
            return zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)
                                        || e.FullName.Contains("/code/", StringComparison.Ordinal));
        });
    }

    /// <summary>Class name -> declared parameter and buffer names, read as text from code/**/*.py (each read charged to the budget).</summary>
    private static Dictionary<string, Declaration> ReadDeclarations(GuardedZip zip, string root, PickleContext context)
    {
        var result = new Dictionary<string, Declaration>();
        var codeRoot = root + "code/";
        foreach (var entry in zip.Entries)
        {
            if (!entry.FullName.StartsWith(codeRoot, StringComparison.Ordinal) || !entry.FullName.EndsWith(".py", StringComparison.Ordinal))
            {
                continue;
            }
            var module = entry.FullName[codeRoot.Length..^3].Replace('/', '.');
            var bytes = GuardedZip.ReadAll(entry, "TorchScript code", context.Limits.MaxTensorBytes, "ReadLimits.MaxTensorBytes", context);
            context.Charge(2L * bytes.LongLength, $"TorchScript code '{entry.FullName}' as text");
            string text = Encoding.UTF8.GetString(bytes);
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
