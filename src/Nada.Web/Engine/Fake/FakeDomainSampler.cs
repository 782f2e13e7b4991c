using System.Text.Json;

namespace Nada.Web.Engine.Fake;

/// <summary>Samples the fake engine's placeholder generators: one deterministic face per seed.</summary>
public sealed class FakeDomainSampler : IDomainSampler
{
    public IReadOnlyList<byte[]> SamplePng(string generatorFile, IReadOnlyList<int> seeds, float truncationPsi)
    {
        FakeGenerator? generator;
        try
        {
            generator = JsonSerializer.Deserialize<FakeGenerator>(File.ReadAllText(generatorFile));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{generatorFile}' is not a fake generator file; run the app with Engine:Kind=torch for real ones.", e);
        }
        if (generator is null) throw new InvalidDataException($"'{generatorFile}' is empty.");
        // Truncation pulls samples toward the average: here, toward a mid shift.
        var shift = 0.5f + (0.5f * Math.Clamp(truncationPsi, 0f, 1f));
        return seeds.Select(s => FakeImages.SamplePng(s, generator.TargetHue, shift)).ToList();
    }
}
