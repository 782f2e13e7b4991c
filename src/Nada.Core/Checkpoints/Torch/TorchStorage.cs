using Nada.Core.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace Nada.Core.Checkpoints.Torch;

/// <summary>
/// One PyTorch storage named by a persistent id: its dtype and element count, and a way to fetch its bytes.
/// The bytes are read once, the first time a tensor needs them; every tensor on the same storage shares
/// the one 1-D tensor made from them.
/// </summary>
internal sealed class TorchStorage(string key, ScalarType dtype, long numel)
{
    private Func<byte[]>? _loader;
    private Tensor? _tensor;

    public string Key { get; } = key;
    public ScalarType DType { get; } = dtype;
    public long Numel { get; } = numel;

    /// <summary>For legacy storage views: the storage this one is a window of, and where it starts.</summary>
    public TorchStorage? Base { get; init; }
    public long BaseOffset { get; init; }

    public bool HasData => _loader is not null || _tensor is not null || Base is not null;

    /// <summary>Sets where the bytes come from (little-endian, at least Numel elements).</summary>
    public void SetLoader(Func<byte[]> loader) => _loader = loader;

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
            if (_loader is null)
            {
                throw load.Fail($"storage '{Key}' has no data in the file", "The file is truncated or corrupt");
            }
            var bytes = _loader();
            long need = Numel > long.MaxValue / 8 ? long.MaxValue : Numel * TorchDtypes.ElementSize(DType);
            if (bytes.LongLength < need)
            {
                throw load.Fail($"storage '{Key}' holds {bytes.LongLength} bytes but needs {need}",
                    "The file is truncated or corrupt; download it again");
            }
            _tensor = TorchDtypes.FromBytes(bytes, DType, Numel);
        }
        load.Intermediates.Add(_tensor);
        return _tensor;
    }
}
