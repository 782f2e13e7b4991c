using Nada.Core.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// One PyTorch storage named by a persistent id: its dtype and element count, and a way to fetch its bytes.
/// The bytes are read once, the first time a tensor needs them, straight into the tensor's memory (after the read
/// budget has been charged for them); every tensor on the same storage shares the one 1-D tensor made from them.
/// </summary>
internal sealed class TorchStorage(string key, ScalarType dtype, long numel)
{
    private Action<Span<byte>>? _fill;
    private Tensor? _tensor;

    public string Key { get; } = key;
    public ScalarType DType { get; } = dtype;
    public long Numel { get; } = numel;

    /// <summary>Where the bytes are, for messages (e.g. "archive/data/0", "nested torch.save > archive/data/3").</summary>
    public string? Source { get; init; }

    /// <summary>"storage '0' (archive/data/0)".</summary>
    public string Description => Source is null ? $"storage '{Key}'" : $"storage '{Key}' ({Source})";

    /// <summary>For legacy storage views: the storage this one is a window of, and where it starts.</summary>
    public TorchStorage? Base { get; init; }
    public long BaseOffset { get; init; }

    public bool HasData => _fill is not null || _tensor is not null || Base is not null;

    /// <summary>The storage's size in bytes (element count x element size), or a refusal when that overflows.</summary>
    public static long ByteCount(PickleContext context, string key, long numel, ScalarType dtype)
    {
        int size = TorchDtypes.ElementSize(dtype);
        if (numel < 0 || numel > long.MaxValue / size)
        {
            throw context.Fail($"storage '{key}' claims {numel} elements, which no file can hold", "The file is corrupt");
        }
        return numel * size;
    }

    /// <summary>Sets where the bytes come from: a callback that fills exactly Numel elements, little-endian.</summary>
    public void SetSource(Action<Span<byte>> fill) => _fill = fill;

    /// <summary>The storage as a 1-D tensor of <see cref="Numel"/> elements (made once).</summary>
    public Tensor GetTensor(PickleContext load)
    {
        if (_tensor is not null)
        {
            return _tensor;
        }
        if (Base is not null)
        {
            _tensor = Base.GetTensor(load).narrow(0, BaseOffset, Numel);
        }
        else
        {
            if (_fill is null)
            {
                throw load.Fail($"storage '{Key}' has no data in the file", "The file is truncated or corrupt");
            }
            long bytes = ByteCount(load, Key, Numel, DType);
            load.ChargeTensor(bytes, Description);
            if (bytes > int.MaxValue)
            {
                throw load.Fail($"storage '{Key}' is larger than 2 GB, which this reader does not support");
            }
            var tensor = empty(Numel, dtype: DType);
            try
            {
                if (bytes > 0)
                {
                    _fill(tensor.bytes);
                }
            }
            catch
            {
                tensor.Dispose();
                throw;
            }
            _tensor = tensor;
        }
        load.Intermediates.Add(_tensor);
        return _tensor;
    }
}
