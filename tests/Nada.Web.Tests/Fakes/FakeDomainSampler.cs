using System.Text.Json;
using Nada.Core.Adaptation.Compact;
using Nada.Core.Generators.StyleGan3;
using Nada.Core.Service;

namespace Nada.Web.Tests.Fakes;

/// <summary>Samples the fake engine's placeholder generators: one deterministic face per seed.</summary>
public sealed class FakeDomainSampler : IDomainSampler
{
    public Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, CancellationToken ct = default)
    {
        FakeGenerator? generator;
        var text = File.ReadAllText(generatorFile);
        try
        {
            // A base model of the fake catalog is a placeholder file: it renders the untouched faces (hue 0).
            generator = text.StartsWith("placeholder for the fake engine", StringComparison.Ordinal)
                ? new FakeGenerator("base", "", "", 0f)
                : JsonSerializer.Deserialize<FakeGenerator>(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{Path.GetFileName(generatorFile)}' is not a fake generator file.", e);
        }
        if (generator is null) throw new InvalidDataException($"'{Path.GetFileName(generatorFile)}' is empty.");
        // Truncation pulls samples toward the average: here, toward a mid shift.
        var shift = 0.5f + (0.5f * Math.Clamp(truncationPsi, 0f, 1f));
        return Task.FromResult<IReadOnlyList<byte[]>>(seeds.Select(s => FakeImages.SamplePng(s, generator.TargetHue, shift)).ToList());
    }

    // The fake's placeholder generators are not StyleGAN3: no input transform, as the torch sampler answers for StyleGAN2.
    public Task<IReadOnlyList<byte[]>> SamplePngAsync(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi, InputTransform? transform,
        CancellationToken ct = default) =>
        transform is null || transform == InputTransform.Identity
            ? SamplePngAsync(generatorFile, seeds, truncationPsi, ct)
            : throw new ArgumentException($"Translation and rotation need a StyleGAN3 generator; '{Path.GetFileName(generatorFile)}' is a fake one.");

    public bool SupportsInputTransform(string generatorFile) => false;

    // Compact domains are the web's to add; the fake renders the base generator's placeholder faces.
    public Task<IReadOnlyList<byte[]>> SampleMixPngAsync(string baseGeneratorFile, IReadOnlyList<DomainWeight> domains, IReadOnlyList<int> seeds,
        float truncationPsi, CancellationToken ct = default) => SamplePngAsync(baseGeneratorFile, seeds, truncationPsi, ct);
}
