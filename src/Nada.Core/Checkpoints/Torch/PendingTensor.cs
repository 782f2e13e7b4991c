using Nada.Core.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// A tensor rebuilt from (storage, offset, size, stride) while unpickling; made into a TorchSharp tensor
/// once the whole pickle has been read (legacy files place their storage bytes after the pickle).
/// </summary>
internal sealed class PendingTensor
{
    private Tensor? _tensor;

    public PendingTensor(PickleContext where, TorchStorage storage, long offset, long[] size, long[] stride)
    {
        if (offset < 0 || size.Length != stride.Length || size.Any(s => s < 0) || stride.Any(s => s < 0))
        {
            throw where.Fail($"tensor on storage '{storage.Key}' has an invalid layout (offset {offset}, size [{string.Join(",", size)}], stride [{string.Join(",", stride)}])");
        }
        if (size.All(s => s > 0))
        {
            long last;
            try
            {
                last = offset;
                for (int i = 0; i < size.Length; i++)
                {
                    last = checked(last + (size[i] - 1) * stride[i]);
                }
            }
            catch (OverflowException)
            {
                last = long.MaxValue;
            }
            if (last >= storage.Numel)
            {
                throw where.Fail($"tensor reaches element {last} of storage '{storage.Key}', which has only {storage.Numel}",
                    "The file is corrupt");
            }
        }
        Storage = storage;
        Offset = offset;
        Size = size;
        Stride = stride;
    }

    public TorchStorage Storage { get; }
    public long Offset { get; }
    public long[] Size { get; }
    public long[] Stride { get; }

    /// <summary>The contiguous CPU tensor (made once; shares memory with the storage when already contiguous).</summary>
    public Tensor Materialize(PickleContext load)
    {
        if (_tensor is not null)
        {
            return _tensor;
        }
        var storage = Storage.GetTensor(load);
        var view = storage.as_strided(Size, Stride, Offset);
        if (view.is_contiguous())
        {
            _tensor = view;
        }
        else
        {
            _tensor = view.contiguous();
            view.Dispose();
        }
        return _tensor;
    }
}
