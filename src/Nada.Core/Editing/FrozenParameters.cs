using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nada.Core.Editing;

/// <summary>Turns off requires_grad on a generator's parameters while latents are optimised, and restores it.</summary>
internal sealed class FrozenParameters : IDisposable
{
    private readonly List<(Parameter Parameter, bool RequiresGrad)> saved;

    public FrozenParameters(nn.Module module)
    {
        saved = module.parameters().Select(p => (p, p.requires_grad)).ToList();
        foreach (var (p, _) in saved) p.requires_grad = false;
    }

    public void Dispose()
    {
        foreach (var (p, g) in saved) p.requires_grad = g;
    }
}
