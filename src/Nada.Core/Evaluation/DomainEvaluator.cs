using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Adaptation.Losses;
using Nada.Core.Checkpoints.GeneratorLoading;
using Nada.Core.Clip;
using Nada.Core.Editing;
using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Evaluation;

/// <summary>
/// Scores a domain with CLIP alone, as the domain-adaptation literature does without ground truth (HyperDomainNet's
/// <c>core/evaluation.py</c>): the base generator and the domain render the same seeds (constant noise); an evaluator
/// CLIP embeds both; quality, diversity and directional similarity come from the normalised embeddings (see
/// <see cref="DomainScores"/>). The same request gives the same figures on the same device. Synchronous.
/// </summary>
public static class DomainEvaluator
{
    /// <summary>Scores the request's domain. <paramref name="onBatch"/> hears (samples done, samples in all) after every batch.</summary>
    /// <exception cref="RequestValidationException">A bad request; the message names every problem.</exception>
    /// <exception cref="DomainMismatchException">A compact domain of another generator.</exception>
    public static DomainScores Evaluate(EvaluationRequest request, CancellationToken ct = default, Action<int, int>? onBatch = null)
    {
        request.Check().ThrowIfInvalid();
        var device = EngineDevice.Current;
        using var generator = GeneratorLoader.LoadGenerator(request.GeneratorPath);
        var identity = GeneratorIdentity.Of(generator, Path.GetFileName(request.GeneratorPath));
        generator.ToDevice(device);
        using var domain = EvaluatedDomain.Open(request, generator, identity, device);
        string clipHash = TrainingClip.HashOf(request.ClipPath, ct);
        string clipName = Path.GetFileName(request.ClipPath);
        bool? usedInTraining = domain.UsedInTraining(clipHash, clipName);
        using var clip = ClipLoader.Load(request.ClipPath, new ClipLoadOptions(Device: device));
        var preprocessor = ClipPreprocessor.For(clip);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var quality = Normalize(clip.EncodeText(Clip.ClipTokenizer.Shared.Tokenize([$"A {request.TargetText.Trim()}"], contextLength: clip.Config.ContextLength)));   // [1, D]
        var direction = TextDirection.Compute(clip, request.SourceText.Trim(), request.TargetText.Trim(), PromptTemplates.ImageNet);                             // [1, D]
        var baseFeatures = new List<Tensor>();
        var domainFeatures = new List<Tensor>();
        var seeds = Enumerable.Range(request.Seed, request.Samples).ToList();
        for (int start = 0; start < seeds.Count; start += request.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            var batch = seeds.Skip(start).Take(request.BatchSize).ToList();
            var z = SeedLatents.FromSeeds(batch, generator.Config.ZDim).to(device);                 // [B, ZDim]
            var w = generator.Truncate(generator.Mapping(z), request.Truncation)
                .unsqueeze(1).repeat(1, generator.Config.NumWs, 1);                                   // [B, NumWs, WDim]
            Tensor Encode(Tensor images) => Normalize(clip.EncodeImage(preprocessor.Forward(images.to(clip.LogitScale.device)))).cpu();   // [B, D]
            baseFeatures.Add(Encode(domain.RenderBase(w)).MoveToOuterDisposeScope());
            domainFeatures.Add(Encode(domain.Render(w)).MoveToOuterDisposeScope());
            onBatch?.Invoke(Math.Min(start + batch.Count, seeds.Count), seeds.Count);
        }
        var b = cat(baseFeatures, 0);                                                                 // [N, D]
        var d = cat(domainFeatures, 0);
        var q = quality.cpu();
        var dir = direction.cpu();
        double directional = domain.Kind == EvaluatedKind.Base
            ? 0
            : nn.functional.cosine_similarity(d - b, dir.expand_as(d), 1).mean().item<float>();       // 0 for an unchanged sample (eps guard)
        string note = usedInTraining switch
        {
            true => $"The evaluator CLIP '{clipName}' was used in training this domain: its scores favour the domain; prefer a CLIP it was not trained with.",
            false => $"The evaluator CLIP '{clipName}' was not used in training this domain.",
            null => domain.Kind == EvaluatedKind.Base
                ? $"The base generator scored with '{clipName}'."
                : $"The domain does not record its training CLIPs; whether '{clipName}' was one of them is unknown.",
        };
        return new DomainScores(
            Quality: MeanCosine(d, q),
            Diversity: Diversity(d),
            Directional: directional,
            BaseQuality: MeanCosine(b, q),
            BaseDiversity: Diversity(b),
            Kind: domain.Kind,
            Samples: request.Samples,
            Seed: request.Seed,
            Truncation: request.Truncation,
            Evaluator: clipName,
            EvaluatorSha256: clipHash,
            EvaluatorUsedInTraining: usedInTraining,
            Note: note);
    }

    /// <summary>Mean over rows of cos(row, text) for normalised rows [N, D] and a normalised text [1, D].</summary>
    public static double MeanCosine(Tensor features, Tensor text)
    {
        using var scope = NewDisposeScope();
        return features.matmul(text.t()).mean().item<float>();
    }

    /// <summary>Mean over pairs i &lt; j of 1 - cos(row i, row j), for normalised rows [N, D] (N >= 2).</summary>
    public static double Diversity(Tensor features)
    {
        using var scope = NewDisposeScope();
        long n = features.shape[0];
        if (n < 2) throw new ArgumentException("Diversity needs at least two samples.");
        var pairs = ones(n, n, dtype: ScalarType.Bool).triu(1);                                   // [N, N], i < j
        return (1 - features.matmul(features.t()).masked_select(pairs)).mean().item<float>();
    }

    private static Tensor Normalize(Tensor x) => x / x.norm(-1, true);

    /// <summary>The domain side of an evaluation: nothing, a compact mix set on the base generator, or a full domain blended with it.</summary>
    private sealed class EvaluatedDomain : IDisposable
    {
        private readonly StyleGenerator _base;
        private readonly List<CompactDomain> _compact = [];
        private Dictionary<string, Tensor>? _mix;
        private StyleGenerator? _full;
        private DomainBlender? _blender;
        private float _alpha;
        private readonly List<IReadOnlyList<TrainingClip>?> _clips = [];

        private EvaluatedDomain(StyleGenerator baseGenerator, EvaluatedKind kind)
        {
            _base = baseGenerator;
            Kind = kind;
        }

        public EvaluatedKind Kind { get; }

        public static EvaluatedDomain Open(EvaluationRequest request, StyleGenerator generator, GeneratorIdentity identity, Device device)
        {
            var compact = request.Domains.Where(d => CompactDomainFile.IsCompactDomain(d.File)).ToList();
            if (request.Domains.Count == 0) return new EvaluatedDomain(generator, EvaluatedKind.Base);
            if (compact.Count == request.Domains.Count)
            {
                var e = new EvaluatedDomain(generator, EvaluatedKind.Compact);
                try
                {
                    foreach (var d in request.Domains)
                    {
                        var loaded = CompactDomainFile.Load(d.File);
                        e._compact.Add(loaded);
                        e._clips.Add(loaded.Info.Clips);
                    }
                    foreach (var c in e._compact)
                    {
                        c.EnsureBelongsTo(identity);
                        c.EnsureFitsLayers(generator);
                    }
                    e._mix = DomainMix.Combine(e._compact.Zip(request.Domains, (c, d) => (c, d.Alpha)).ToList(), identity, device);
                    return e;
                }
                catch
                {
                    e.Dispose();
                    throw;
                }
            }
            if (request.Domains.Count > 1)
                throw new ArgumentException("Score one full domain at a time, or a mix of compact domains only; full and compact domains do not mix.");
            var full = new EvaluatedDomain(generator, EvaluatedKind.Full);
            try
            {
                var (file, alpha) = (request.Domains[0].File, request.Domains[0].Alpha);
                DomainMix.CheckAlpha(alpha, Path.GetFileName(file));
                full._full = GeneratorLoader.LoadGenerator(file).ToDevice(device);
                full._blender = new DomainBlender(generator);
                DomainBlender.CheckCompatible(generator, full._full);
                full._alpha = alpha;
                full._clips.Add(ReadFullDomainClips(file));
                return full;
            }
            catch
            {
                full.Dispose();
                throw;
            }
        }

        /// <summary>Images of the base generator for W+ [B, NumWs, WDim].</summary>
        public Tensor RenderBase(Tensor wPlus)
        {
            _base.SetStyleOffsets(null);
            return _base.Synthesis(wPlus, NoiseMode.Const);
        }

        /// <summary>Images of the domain for W+ [B, NumWs, WDim].</summary>
        public Tensor Render(Tensor wPlus)
        {
            if (Kind == EvaluatedKind.Full) return _blender!.Render(_full!, _alpha, wPlus);
            try
            {
                _base.SetStyleOffsets(_mix is { Count: > 0 } ? _mix : null);
                return _base.Synthesis(wPlus, NoiseMode.Const);
            }
            finally
            {
                _base.SetStyleOffsets(null);
            }
        }

        /// <summary>Whether any domain was trained with the CLIP of this hash; null when one of them does not record its CLIPs.</summary>
        public bool? UsedInTraining(string sha256, string fileName)
        {
            if (_clips.Count == 0) return null;
            bool any = false;
            foreach (var clips in _clips)
            {
                var used = TrainingClip.Contains(clips, sha256, fileName);
                if (used is null) return null;
                any |= used.Value;
            }
            return any;
        }

        /// <summary>The training CLIPs a full domain's <c>domain.json</c> records (beside its generator file), if any.</summary>
        private static IReadOnlyList<TrainingClip>? ReadFullDomainClips(string generatorFile)
        {
            var json = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(generatorFile)) ?? ".", "domain.json");
            if (!File.Exists(json)) return null;
            try
            {
                return JsonSerializer.Deserialize<DomainInfo>(File.ReadAllText(json))?.Clips;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            _base.SetStyleOffsets(null);
            foreach (var t in _mix?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
            foreach (var c in _compact) c.Dispose();
            _blender?.Dispose();
            _full?.Dispose();
        }
    }
}
