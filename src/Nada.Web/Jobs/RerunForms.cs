using System.Security.Claims;
using System.Text.Json;
using Nada.Web.Domains;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;

namespace Nada.Web.Jobs;

/// <summary>
/// "Train again": the submit form's input filled from an earlier adaptation the user may see (its job, or a domain made
/// by one), with its style images read back from the run folder when they are still there.
/// </summary>
public sealed class RerunForms(JobService jobs, DomainService domains, DataPaths paths, ILogger<RerunForms> logger)
{
    /// <summary>The input of adaptation job <paramref name="jobId"/>, or null when the user may not see it or it is no adaptation.</summary>
    public async Task<AdaptationInput?> FromJobAsync(ClaimsPrincipal user, Guid jobId, CancellationToken ct = default)
    {
        var job = await jobs.GetAsync(user, jobId, ct);
        if (job is not { Kind: Data.JobKind.Adaptation }) return null;
        return From(Read(job.SpecJson), jobId);
    }

    /// <summary>The input that made domain <paramref name="domainId"/>, or null when the user may not see it.</summary>
    public async Task<AdaptationInput?> FromDomainAsync(ClaimsPrincipal user, Guid domainId, CancellationToken ct = default)
    {
        var domain = await domains.GetAsync(user, domainId, ct);
        return domain is null ? null : From(Read(domain.SettingsJson), domain.JobId);
    }

    private static AdaptationSpec? Read(string json)
    {
        try { return JsonSerializer.Deserialize<AdaptationSpec>(json, JobSpecs.Json); }
        catch (JsonException) { return null; }
    }

    private AdaptationInput? From(AdaptationSpec? spec, Guid jobId)
    {
        if (spec is null) return null;
        var input = new AdaptationInput
        {
            Generator = spec.Generator,
            ClipModels = [.. spec.ClipModels],
            ClipWeights = spec.ClipWeights.Count > 0 ? [.. spec.ClipWeights] : null,
            SourceText = spec.SourceText,
            TargetText = spec.TargetText,
            Iterations = spec.Iterations,
            Options = spec.Options,
        };
        foreach (var (relative, i) in spec.StyleImages.Select((r, i) => (r, i)))
        {
            try
            {
                var file = paths.ResolveJobFile(jobId, relative);
                if (File.Exists(file)) input.StyleImages.Add(new UploadedImage($"style-{i + 1}.png", File.ReadAllBytes(file)));
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                logger.LogInformation("Style image {File} of job {JobId} not reused: {Reason}", relative, jobId, e.Message);
            }
        }
        return input;
    }
}
