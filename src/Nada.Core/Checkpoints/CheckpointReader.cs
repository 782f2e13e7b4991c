using System.Text;
using Nada.Core.Checkpoints.Pickle;
using Nada.Core.Checkpoints.Torch;

namespace Nada.Core.Checkpoints;

/// <summary>
/// Reads any checkpoint a user may hold, detecting the format from its bytes (not its extension): a PyTorch
/// zip archive (torch.save since 1.6, also TorchScript), a legacy torch.save file, a plain pickle (NVIDIA
/// stylegan2-ada / stylegan3 pickles, TF-era StyleGAN2 pickles), or safetensors. Pickles are read by a
/// restricted unpickler that constructs only allowed torch / numpy / container globals and keeps NVIDIA,
/// TF and TorchScript objects as <see cref="PickledObject"/> records; no checkpoint code is ever executed.
/// Every size the file claims is checked against the file and against <see cref="ReadLimits"/> before anything of
/// that size is allocated (see <see cref="ReadBudget"/>), so a file built to exhaust memory is refused in little memory.
/// </summary>
public static class CheckpointReader
{
    /// <summary>
    /// Reads <paramref name="path"/> and returns its object graph:
    /// dicts (also OrderedDict, EasyDict) -> <c>Dictionary&lt;string, object?&gt;</c> in file order, with non-string
    /// keys converted to strings (ints in decimal, bool as True/False, None as "None");
    /// lists -> <c>List&lt;object?&gt;</c>; tuples (and torch.Size) -> <c>object?[]</c>; sets -> <c>HashSet&lt;object&gt;</c>;
    /// tensors and numpy arrays -> contiguous CPU <c>TorchSharp.torch.Tensor</c> of the original dtype;
    /// numpy scalars -> long / double / bool; bytes -> <c>byte[]</c>; str, long, double, bool, null as themselves
    /// (integers beyond 64 bits as <c>System.Numerics.BigInteger</c>); torch.device -> its string; dtypes -> their
    /// names ("torch.float32", "float32"); other allowed classes used as values -> their dotted name;
    /// NVIDIA persistence records, TF networks and TorchScript objects -> <see cref="PickledObject"/>.
    /// A safetensors file gives a dict of its tensors (metadata: <see cref="SafeTensorsFile.Load"/>).
    /// The caller owns the returned tensors.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">What reading it may cost; <see cref="ReadLimits.Default"/> when null.</param>
    /// <exception cref="CheckpointException">The file is missing, empty, truncated, of an unknown format, asks for a
    /// Python global that is not allowed, or claims more memory than <paramref name="limits"/> allow.</exception>
    public static object? Read(string path, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Guarded(path, limits, "The file may be corrupt; if it loads in PyTorch, report it", context =>
        {
            using var stream = OpenChecked(path);
            var head = ReadHead(stream, 512);
            var kind = Detect(path, head, stream.Length);
            stream.Position = 0;
            object? graph;
            switch (kind)
            {
                case Format.Zip:
                    using (var zip = GuardedZip.Open(stream, context))
                    {
                        graph = TorchZipFile.Open(zip, context).ReadPickle();
                        return GraphFinisher.Finish(graph, context);
                    }
                case Format.SafeTensors:
                    stream.Dispose();
                    return SafeTensorsFile.Load(path, limits).Tensors.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
                case Format.LegacyTorch:
                    graph = LegacyTorchFile.Read(ReadAll(stream, context), context);
                    return GraphFinisher.Finish(graph, context);
                default:
                    graph = PickleMachine.Load(ReadAll(stream, context), context);
                    return GraphFinisher.Finish(graph, context);
            }
        });
    }

    /// <summary>
    /// Runs a read with a fresh <see cref="PickleContext"/> and read budget: unexpected errors become one
    /// <see cref="CheckpointException"/> naming the file (with <paramref name="hint"/>), and the reader's intermediate
    /// tensors are always freed.
    /// </summary>
    internal static T Guarded<T>(string path, ReadLimits? limits, string hint, Func<PickleContext, T> read)
    {
        var context = new PickleContext(path, ReadBudget.ForFile(path, limits));
        try
        {
            return read(context);
        }
        catch (CheckpointException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException(path, $"unexpected error while reading ({e.GetType().Name}: {e.Message})", hint, e);
        }
        finally
        {
            foreach (var tensor in context.Intermediates)
            {
                tensor.Dispose();
            }
        }
    }

    internal enum Format { Zip, SafeTensors, LegacyTorch, Pickle }

    /// <summary>Opens the file for reading, or fails with a message naming it.</summary>
    internal static FileStream OpenChecked(string path)
    {
        if (Directory.Exists(path))
        {
            throw new CheckpointException(path, "this is a folder, not a checkpoint file", "Choose the checkpoint file itself");
        }
        if (!File.Exists(path))
        {
            throw new CheckpointException(path, "file not found", "Check the path and that the download finished");
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"the file cannot be opened ({e.Message})", "Check its permissions", e);
        }
        if (stream.Length == 0)
        {
            stream.Dispose();
            throw new CheckpointException(path, "the file is empty (0 bytes)", "Download or copy it again");
        }
        return stream;
    }

    internal static Format Detect(string path, ReadOnlySpan<byte> head, long length)
    {
        if (head.Length >= 262 && head.Slice(257, 5).SequenceEqual("ustar"u8))
        {
            throw new CheckpointException(path,
                "this is a tar archive (the torch.save format of PyTorch before 0.4, or a bundle of files), which is not supported",
                "Re-save the checkpoint with a current PyTorch, or extract the checkpoint from the archive");
        }
        if (TorchFile.IsZip(head))
        {
            return Format.Zip;
        }
        if (LegacyTorchFile.HasMagic(head))
        {
            return Format.LegacyTorch;
        }
        if (head[0] == 0x80)
        {
            return Format.Pickle; // the machine reports an unknown protocol number itself
        }
        if (SafeTensorsFile.LooksLikeSafeTensors(head, length))
        {
            return Format.SafeTensors;
        }
        if (head[0] is (byte)'(' or (byte)']' or (byte)'}' or (byte)')' or (byte)'c')
        {
            return Format.Pickle; // protocol 0 / 1
        }
        var text = Encoding.UTF8.GetString(head[..Math.Min(head.Length, 64)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (text.StartsWith('<'))
        {
            throw new CheckpointException(path,
                "this is an HTML or XML page, not a checkpoint (often an error or login page saved under the checkpoint's name)",
                "Download the checkpoint again from its direct link");
        }
        throw new CheckpointException(path,
            "unrecognised format: not a PyTorch zip, torch.save, pickle or safetensors file",
            "Choose a .pt / .pth / .pkl / .safetensors checkpoint");
    }

    private static byte[] ReadHead(Stream stream, int count)
    {
        var head = new byte[Math.Min(count, stream.Length)];
        stream.ReadExactly(head);
        return head;
    }

    /// <summary>The whole file (a plain pickle or legacy torch.save is parsed in memory), at most <see cref="ReadLimits.MaxPickleBytes"/>.</summary>
    private static byte[] ReadAll(FileStream stream, PickleContext context)
    {
        long limit = Math.Min(context.Limits.MaxPickleBytes, Array.MaxLength);
        if (stream.Length > limit)
        {
            throw context.Fail($"the pickle is {ReadBudget.Size(stream.Length)}, more than a pickle read whole may be ({ReadBudget.Size(limit)}; ReadLimits.MaxPickleBytes)",
                "Save it as a torch.save zip archive or safetensors instead");
        }
        var data = new byte[stream.Length];
        stream.ReadExactly(data);
        return data;
    }
}
