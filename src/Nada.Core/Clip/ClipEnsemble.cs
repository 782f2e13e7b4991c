using Nada.Core.Adaptation;

namespace Nada.Core.Clip;

/// <summary>One model of a <see cref="ClipEnsemble"/> with its weight and preprocessing.</summary>
/// <param name="Model">The CLIP model.</param>
/// <param name="Weight">Weight of this model's losses.</param>
/// <param name="Preprocessor">Preprocessing to the model's input resolution.</param>
public sealed record ClipEnsembleMember(ClipModel Model, float Weight, ClipPreprocessor Preprocessor);

/// <summary>Several CLIP models whose losses are summed with weights (StyleGAN-NADA uses ViT-B/32 and ViT-B/16).</summary>
public sealed class ClipEnsemble : IDisposable
{
    private readonly bool ownsModels;

    /// <summary>The members, in the given order.</summary>
    public IReadOnlyList<ClipEnsembleMember> Members { get; }

    /// <param name="models">Models and weights; weights are non-negative and not all zero.</param>
    /// <param name="ownsModels">Whether <see cref="Dispose"/> disposes the models.</param>
    public ClipEnsemble(IEnumerable<(ClipModel Model, float Weight)> models, bool ownsModels = true)
    {
        Members = models.Select(m => new ClipEnsembleMember(m.Model, m.Weight, ClipPreprocessor.For(m.Model))).ToArray();
        if (Members.Count == 0) throw new ArgumentException("A CLIP ensemble needs at least one model.");
        if (Members.Any(m => m.Weight < 0 || !float.IsFinite(m.Weight)))
            throw new ArgumentException("CLIP model weights must be finite and non-negative.");
        if (Members.All(m => m.Weight == 0))
            throw new ArgumentException("Every CLIP model has weight 0; give at least one model a positive weight.");
        this.ownsModels = ownsModels;
    }

    /// <summary>Loads the chosen CLIP files (see <see cref="ClipLoader"/>); the ensemble owns the models.</summary>
    public static ClipEnsemble Load(IEnumerable<ClipModelChoice> choices, ClipLoadOptions? options = null)
    {
        var loaded = new List<(ClipModel, float)>();
        try
        {
            foreach (var c in choices) loaded.Add((ClipLoader.Load(c.Path, options ?? new ClipLoadOptions()), c.Weight));
            return new ClipEnsemble(loaded);
        }
        catch
        {
            foreach (var (m, _) in loaded) m.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!ownsModels) return;
        foreach (var m in Members) m.Model.Dispose();
    }
}
