using Nada.Core.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// A tensor rebuilt from (storage, offset, size, stride) while unpickling; made into a TorchSharp tensor
/// once the whole pickle has been read (legacy files place their storage bytes after the pickle). The view must lie
/// inside its storage; a view that is not contiguous is copied, and the copy is charged to the read budget first.
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

    /// <summary>The bytes of this tensor made contiguous, or a refusal when the element count overflows.</summary>
    private long ContiguousBytes(PickleContext load)
    {
        try
        {
            long numel = Size.Aggregate(1L, (a, b) => checked(a * b));
            return checked(numel * TorchDtypes.ElementSize(Storage.DType));
        }
        catch (OverflowException)
        {
            throw load.Fail($"tensor on storage '{Storage.Key}' claims a shape [{string.Join(", ", Size)}] whose size overflows", "The file is corrupt");
        }
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
            load.ChargeTensor(0, $"a tensor on {Storage.Description}");
            _tensor = view;
        }
        else
        {
            // A copy: a stride-0 view of one element may stand for billions, so the copy is charged before it is made.
            try
            {
                load.ChargeTensor(ContiguousBytes(load), $"contiguous copy of a [{string.Join(", ", Size)}] view of {Storage.Description}");
                _tensor = view.contiguous();
            }
            finally
            {
                view.Dispose();
            }
        }
        return _tensor;
    }
}
