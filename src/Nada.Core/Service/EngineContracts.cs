using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Editing;
using Nada.Core.Evaluation;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Runs;

namespace Nada.Core.Service;

/// <summary>Trains domains. Implementations run the work through the device broker; the call blocks until it ends.</summary>
public interface IAdaptationEngine
{
    /// <summary>
    /// Trains (or, with <paramref name="resume"/>, continues from the run folder's last good checkpoint), reporting
    /// through <paramref name="context"/>. Throws <see cref="OperationCanceledException"/> within one step of its token firing.
    /// </summary>
    AdaptationResult Run(AdaptationRequest request, RunContext context, bool resume);

    /// <summary>Whether a run folder holds a checkpoint that <see cref="Run"/> can resume from.</summary>
    bool HasCheckpoint(string runDirectory);
}

/// <summary>Edits latents by text and inverts photos. The calls block until the work ends.</summary>
public interface IEditEngine
{
    /// <summary>Optimises a latent toward a text (an edit from a photo inverts it first, as a phase of the same run).</summary>
    EditOutput Edit(EditRequest request, RunContext context);

    /// <summary>Inverts a photo into a latent.</summary>
    InversionOutput Invert(InversionRequest request, RunContext context);
}

/// <summary>Draws images from generators (interactive work: it waits at most one training step).</summary>
public interface IDomainSampler
{
    /// <summary>One PNG per seed, at truncation <paramref name="truncationPsi"/>, constant noise.</summary>
    Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default);

    /// <summary>
    /// As above, with the output translated and rotated by <paramref name="transform"/> (StyleGAN3's input transform;
    /// null or <see cref="InputTransform.Identity"/> renders as stored). The generator's stored transform is kept.
    /// </summary>
    /// <exception cref="ArgumentException">A non-identity transform for a generator that is not StyleGAN3.</exception>
    Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, InputTransform? transform,
        CancellationToken ct = default);

    /// <summary>
    /// Whether the generator file's output can be translated and rotated at render time (a StyleGAN3 generator in our
    /// format, told from its header without reading tensors). False for other families and for files it cannot tell.
    /// </summary>
    bool SupportsInputTransform(string generatorFile);

    /// <summary>
    /// One PNG per seed of <paramref name="baseGeneratorFile"/> with a mix of its compact domains: offsets
    /// sum_i alpha_i d_i (alpha 0 = without, 1 = as trained; negative and above 1 allowed, |alpha| at most
    /// <see cref="DomainMix.MaxAbsAlpha"/>). An empty mix renders the base generator.
    /// </summary>
    /// <exception cref="DomainMismatchException">A domain was trained on another generator; the message names both.</exception>
    Task<IReadOnlyList<byte[]>> SampleMixPngAsync(string baseGeneratorFile, IReadOnlyList<DomainWeight> domains, IReadOnlyList<int> seeds,
        float truncationPsi, CancellationToken ct = default);
}

/// <summary>The formats a compact domain (or mix) can be baked into as a full generator.</summary>
public enum BakedFormat
{
    /// <summary>Our format: <c>.safetensors</c> with the config in its metadata.</summary>
    SafeTensors,
    /// <summary>rosinality's stylegan2-pytorch <c>.pt</c> (<c>{"g_ema", "latent_avg"}</c>), StyleGAN2 only.</summary>
    Rosinality,
}

/// <summary>File work on compact domains: saving a mix as a new domain, baking a mix into a full generator (interactive work).</summary>
public interface ICompactDomainTools
{
    /// <summary>
    /// Writes the mix sum_i alpha_i d_i of <paramref name="domains"/> as one compact domain file; returns its number of offsets.
    /// </summary>
    /// <exception cref="DomainMismatchException">The domains belong to different generators; the message names both.</exception>
    Task<long> SaveMixAsync(IReadOnlyList<DomainWeight> domains, string outputFile, string sourceText, string targetText, CancellationToken ct = default);

    /// <summary>
    /// Writes <paramref name="baseGeneratorFile"/> with the mix folded into its weights, in <paramref name="format"/>, to
    /// <paramref name="outputFile"/>; returns the written weights file.
    /// </summary>
    /// <exception cref="NotSupportedException">The format or the generator family cannot be baked (StyleGAN3); the message says so.</exception>
    Task<string> BakeAsync(string baseGeneratorFile, IReadOnlyList<DomainWeight> domains, BakedFormat format, string outputFile, CancellationToken ct = default);
}

/// <summary>Scores domains (compact and full) with an evaluator CLIP. The call blocks until the work ends (a job of the broker).</summary>
public interface IDomainEvaluator
{
    /// <summary>
    /// Quality, diversity and directional similarity of the request's domain (see <see cref="DomainScores"/>); progress
    /// reports count samples. Throws <see cref="OperationCanceledException"/> within one batch of its token firing.
    /// </summary>
    DomainScores Evaluate(EvaluationRequest request, RunContext context);
}

/// <summary>Renders a stored latent, alone or with a blend of its source generator and adapted domains (interactive work).</summary>
public interface ILatentRenderer
{
    /// <summary>
    /// PNG of the latent rendered by one generator; a latent of <paramref name="baseGeneratorPath"/> (the generator a
    /// domain was adapted from) is accepted too.
    /// </summary>
    /// <exception cref="LatentMismatchException">The latent belongs to another generator.</exception>
    Task<byte[]> RenderPngAsync(string generatorPath, string latentPath, string? baseGeneratorPath = null, CancellationToken ct = default);

    /// <summary>PNG of the latent rendered by (1 - alpha) * source + alpha * domain, one image per domain side by side.</summary>
    /// <exception cref="LatentMismatchException">The latent was not made with the source generator.</exception>
    Task<byte[]> BlendPngAsync(string sourcePath, IReadOnlyList<string> domainPaths, string latentPath, float alpha, CancellationToken ct = default);

    /// <summary>
    /// PNG of a latent of <paramref name="baseGeneratorPath"/> rendered with a mix of its compact domains (offsets
    /// sum_i alpha_i d_i; empty: the base generator).
    /// </summary>
    /// <exception cref="LatentMismatchException">The latent was not made with the base generator.</exception>
    /// <exception cref="DomainMismatchException">A domain belongs to another generator.</exception>
    Task<byte[]> RenderMixPngAsync(string baseGeneratorPath, IReadOnlyList<DomainWeight> domains, string latentPath, CancellationToken ct = default);
}

/// <summary>A generator file read and written in our format.</summary>
/// <param name="WeightsFile">The written <c>.safetensors</c> (its <c>.json</c> config is beside it).</param>
/// <param name="SourceFormat">The format the source was read as.</param>
/// <param name="Family">The generator family.</param>
/// <param name="Resolution">Output size in pixels.</param>
/// <param name="PreviewPng">A preview grid of seeds 0-7 at truncation 0.7.</param>
public sealed record ImportedGenerator(string WeightsFile, string SourceFormat, string Family, int Resolution, byte[] PreviewPng);

/// <summary>A CLIP file that the engine reads.</summary>
/// <param name="Format">The file's format (OpenAI state dict, TorchScript, safetensors).</param>
/// <param name="IsSafeTensors">True for a safetensors file.</param>
/// <param name="Resolution">The image tower's input size.</param>
public sealed record CheckedClip(string Format, bool IsSafeTensors, int Resolution);

/// <summary>Reads model files a person supplied, through the restricted readers only (no file runs code).</summary>
public interface IModelImporter
{
    /// <summary>Reads a generator file of any supported format and writes it in our format as <paramref name="targetStem"/>.safetensors (+ .json).</summary>
    /// <exception cref="Checkpoints.CheckpointException">The file is not a generator the engine reads; the message says why.</exception>
    Task<ImportedGenerator> ImportGeneratorAsync(string sourceFile, string targetStem, CancellationToken ct = default);

    /// <summary>Checks that a file is a CLIP model the engine reads.</summary>
    Task<CheckedClip> CheckClipAsync(string file, CancellationToken ct = default);
}
