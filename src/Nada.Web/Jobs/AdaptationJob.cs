using System.ComponentModel;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Nada.Core.Adaptation;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Options;
using Nada.Web.Progress;

namespace Nada.Web.Jobs;

/// <summary>
/// The Hangfire job that trains one domain. Runs the engine synchronously on the worker thread; resumes from the
/// run folder's checkpoint when it is run again after a restart; records the domain when done.
/// </summary>
public sealed class AdaptationJob(
    IDbContextFactory<NadaDbContext> dbFactory,
    IAdaptationEngine engine,
    IModelCatalog catalog,
    ProgressStore store,
    RunningJobs running,
    JobLifecycle lifecycle,
    DataPaths paths,
    ILogger<AdaptationJob> logger)
{
    /// <summary>Runs job <paramref name="jobId"/>. Hangfire fires <paramref name="cancellationToken"/> on delete and shutdown.</summary>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Adapt job {0}")]
    public void Run(Guid jobId, CancellationToken cancellationToken)
    {
        if (running.IsRunningHere(jobId))
        {
            // Storage with a fixed invisibility timeout (Hangfire.Storage.SQLite: 30 min) hands a long job out again.
            logger.LogWarning("Job {JobId} is already running in this process; ignoring the second hand-out", jobId);
            return;
        }
        using var db = dbFactory.CreateDbContext();
        var job = db.Jobs.SingleOrDefault(j => j.Id == jobId);
        if (job is null || job.Status is JobStatus.Succeeded or JobStatus.Cancelled)
        {
            logger.LogInformation("Job {JobId} is gone or finished; nothing to run", jobId);
            return;
        }
        if (job.CancelRequested)
        {
            lifecycle.MarkFinished(db, job, JobStatus.Cancelled, null);
            return;
        }
        var spec = JsonSerializer.Deserialize<JobSpec>(job.SpecJson)!;
        var request = BuildRequest(jobId, spec);
        var resume = engine.HasCheckpoint(request.OutputDirectory);
        if (!lifecycle.TryClaim(db, job)) return;
        logger.LogInformation("Job {JobId} starts (attempt {Attempt}, resume={Resume})", jobId, job.Attempts, resume);

        AdaptationResult? result = null;
        if (!lifecycle.Run(db, job, cancellationToken, ct => result = engine.Run(request, new StoreProgressReporter(store, jobId), ct, resume)))
            return;

        var domain = RecordDomain(db, job, spec, result!);
        job.DomainId = domain.Id;
        lifecycle.MarkFinished(db, job, JobStatus.Succeeded, null);
    }

    private AdaptationRequest BuildRequest(Guid jobId, JobSpec spec)
    {
        var generator = catalog.Generators().FirstOrDefault(g => g.Id == spec.Generator)
            ?? throw new InvalidOperationException($"The base generator '{spec.Generator}' is no longer in the models folder.");
        var clips = JobLifecycle.ClipChoices(catalog, spec.ClipModels, spec.ClipWeights);
        return new AdaptationRequest
        {
            GeneratorPath = generator.Path,
            ClipModels = clips,
            SourceText = spec.SourceText,
            TargetText = spec.TargetText,
            StyleImagePaths = spec.StyleImages.Select(paths.ResolveData).ToList(),
            Iterations = spec.Iterations,
            OutputDirectory = paths.RunDir(jobId),
            Options = spec.Options,
        };
    }

    private DomainRecord RecordDomain(NadaDbContext db, JobRecord job, JobSpec spec, AdaptationResult result)
    {
        // Domains live apart from runs, so deleting a job keeps its domain.
        var domainId = Guid.NewGuid();
        var dir = Path.Combine(paths.DataDir, "domains", domainId.ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        var source = Path.GetFullPath(result.DomainDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (source == Path.GetFullPath(paths.RunDir(job.Id)).TrimEnd(Path.DirectorySeparatorChar))
            CopyTree(source, dir); // an engine that made the run folder itself the domain: keep the run's history in place
        else
            Directory.Move(source, dir);
        string Moved(string file) => paths.ToRelative(Path.Combine(dir, Path.GetRelativePath(source, Path.GetFullPath(file))));
        var domain = new DomainRecord
        {
            Id = domainId,
            JobId = job.Id,
            OwnerId = job.OwnerId,
            SourceText = spec.SourceText,
            TargetText = spec.TargetText.Length > 0 ? spec.TargetText : $"{spec.StyleImages.Count} style image(s)",
            BaseModel = spec.Generator,
            SettingsJson = job.SpecJson,
            Directory = paths.ToRelative(dir),
            GeneratorFile = Moved(result.GeneratorFile),
            ThumbnailFile = Moved(result.PreviewPng),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Domains.Add(domain);
        return domain;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)), overwrite: true);
    }
}
