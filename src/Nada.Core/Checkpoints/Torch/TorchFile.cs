using Nada.Core.Checkpoints.Pickle;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>torch.save content given as bytes: a zip archive or the legacy format.</summary>
internal static class TorchFile
{
    public static bool IsZip(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && (head[2], head[3]) is (3, 4) or (5, 6);

    /// <summary>Reads a torch.save archive nested in a pickle (<c>_load_from_bytes</c>).</summary>
    public static object? ReadNested(byte[] bytes, PickleContext parent)
    {
        if (IsZip(bytes))
        {
            var nested = parent.Nested(parent.Part is null ? "nested torch.save" : parent.Part + " > nested torch.save", null);
            // Left open: its storages are read when the graph is finished; it is only memory.
            var zip = GuardedZip.Open(new MemoryStream(bytes, writable: false), nested);
            return TorchZipFile.Open(zip, nested).ReadPickle();
        }
        if (LegacyTorchFile.HasMagic(bytes))
        {
            return LegacyTorchFile.Read(bytes, parent.Nested(parent.Part is null ? "nested torch.save" : parent.Part + " > nested torch.save", null));
        }
        throw parent.Fail("torch.storage._load_from_bytes holds something that is not a torch.save archive");
    }
}
