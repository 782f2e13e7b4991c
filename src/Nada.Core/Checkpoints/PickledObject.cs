namespace Nada.Core.Checkpoints;

/// <summary>
/// A non-builtin object from a pickle, kept as plain data and never instantiated: an NVIDIA
/// <c>torch_utils.persistence</c> record (its <see cref="ClassName"/> from the record's meta, <see cref="Module"/>
/// = <c>torch_utils.persistence</c>, <see cref="State"/> = the meta's <c>state</c>; the embedded module source is
/// never read), a TF-era <c>dnnlib.tflib.network.Network</c> (its pickled state: version, name, static_kwargs,
/// components, variables, ...), or a TorchScript <c>__torch__.*</c> object (its attributes).
/// </summary>
/// <param name="Module">The Python module the class was declared in, as written in the pickle.</param>
/// <param name="ClassName">The Python class name.</param>
/// <param name="State">The object's state (attribute name -> value), in the object-graph conventions of
/// <see cref="CheckpointReader.Read"/>. A state that was not a dict is stored under the key <c>__state__</c>.</param>
public sealed record PickledObject(string Module, string ClassName, IReadOnlyDictionary<string, object?> State)
{
    /// <summary>"module.ClassName".</summary>
    public string QualifiedName => Module + "." + ClassName;

    public override string ToString() => $"<{QualifiedName} with {State.Count} attributes>";
}
