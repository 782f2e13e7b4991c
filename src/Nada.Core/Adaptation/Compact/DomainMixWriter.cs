using Nada.Core.Generators;
using static TorchSharp.torch;

namespace Nada.Core.Adaptation.Compact;

/// <summary>Writes a mix of compact domains (sum_i alpha_i d_i) as one new compact domain file.</summary>
public static class DomainMixWriter
{
    /// <summary>
    /// Reads the domains, checks that they all belong to one base generator (<see cref="DomainMismatchException"/>
    /// names the odd one) and every strength, and saves their mix to <paramref name="outputFile"/> with the first
    /// domain's base generator identity and family. Returns the number of offsets written.
    /// </summary>
    public static long Write(IReadOnlyList<DomainWeight> parts, string outputFile, string sourceText, string targetText)
    {
        if (parts.Count == 0) throw new ArgumentException("A mix needs at least one compact domain.");
        var domains = new List<CompactDomain>();
        try
        {
            foreach (var p in parts) domains.Add(CompactDomainFile.Load(p.File));
            var first = domains[0].Info;
            var offsets = DomainMix.Combine(domains.Select((d, i) => (d, parts[i].Alpha)).ToList(), first.BaseGenerator, CPU);
            using var mix = new CompactDomain(new CompactDomainInfo
            {
                BaseGenerator = first.BaseGenerator,
                Family = first.Family,
                SourceText = sourceText,
                TargetText = targetText,
                IncludesToRgb = domains.Any(d => d.Info.IncludesToRgb),
                Created = DateTimeOffset.UtcNow,
                Engine = first.Engine,
            }, offsets);
            CompactDomainFile.Save(outputFile, mix);
            return mix.ParameterCount;
        }
        finally
        {
            foreach (var d in domains) d.Dispose();
        }
    }

    /// <summary>
    /// Loads the base generator, applies the mix to its weights (<see cref="DomainBaker"/>) and returns it; the caller
    /// saves and disposes it.
    /// </summary>
    public static StyleGenerator Bake(string baseGeneratorFile, IReadOnlyList<DomainWeight> parts)
    {
        var generator = GeneratorLoader.LoadGenerator(baseGeneratorFile);
        var domains = new List<CompactDomain>();
        try
        {
            var identity = Editing.GeneratorIdentity.Of(generator, Path.GetFileName(baseGeneratorFile));
            foreach (var p in parts) domains.Add(CompactDomainFile.Load(p.File));
            foreach (var d in domains) d.EnsureFitsLayers(generator);
            var offsets = DomainMix.Combine(domains.Select((d, i) => (d, parts[i].Alpha)).ToList(), identity, CPU);
            try { DomainBaker.Bake(generator, offsets); }
            finally { foreach (var t in offsets.Values) t.Dispose(); }
            return generator;
        }
        catch
        {
            generator.Dispose();
            throw;
        }
        finally
        {
            foreach (var d in domains) d.Dispose();
        }
    }
}
