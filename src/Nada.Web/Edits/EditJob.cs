using System.ComponentModel;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Nada.Core.Adaptation;
using Nada.Core.Editing;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Jobs;
using Nada.Web.Options;
using Nada.Web.Progress;

namespace Nada.Web.Edits;

/// <summary>
/// The Hangfire job that runs one latent edit or photo inversion on the engine, synchronously on the worker
/// thread, and keeps its latent, image and before/after strip in the job's result folder.
/// </summary>
public sealed class EditJob(
    IDbContextFactory<NadaDbContext> dbFactory,
    IEditEngine engine,
    IModelCatalog catalog,
    ProgressStore store,
    RunningJobs running,
    JobLifecycle lifecycle,
    DataPaths paths,
    EditResults results)
{
    /// <summary>Runs job <paramref name="jobId"/>. Hangfire fires <paramref name="cancellationToken"/> on delete and shutdown.</summary>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Edit job {0}")]
    public void Run(Guid jobId, CancellationToken cancellationToken)
    {
        if (running.IsRunningHere(jobId)) return;
        using var db = dbFactory.CreateDbContext();
        var job = db.Jobs.SingleOrDefault(j => j.Id == jobId);
        if (job is null || job.Status is JobStatus.Succeeded or JobStatus.Cancelled or JobStatus.Failed) return;
        if (!lifecycle.TryClaim(db, job)) return;
        var spec = JsonSerializer.Deserialize<EditSpec>(job.SpecJson)!;
        if (!lifecycle.Run(db, job, cancellationToken, ct => RunEngine(db, job, spec, ct), e => results.ForUser(e.Message)))
            return;
        lifecycle.MarkFinished(db, job, JobStatus.Succeeded, null);
    }

    private void RunEngine(NadaDbContext db, JobRecord job, EditSpec spec, CancellationToken ct)
    {
        var jobId = job.Id;
        var reporter = new EditProgressReporter(store, jobId, 0, spec.TotalStepsFor(job.Kind));
        var (generator, baseGenerator) = GeneratorPaths(db, spec);
        var clips = ClipChoices(spec);
        var outDir = results.Dir(jobId);
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);   // a rerun after a restart starts over
        if (job.Kind == JobKind.PhotoInvert)
        {
            var r = engine.Invert(new InversionRequest
            {
                GeneratorPath = generator,
                PhotoPath = paths.ResolveData(spec.Photo!),
                OutputDirectory = outDir,
                ClipModels = clips,
                Options = new InversionOptions { Steps = spec.Steps, LearningRate = spec.LearningRate, PreviewEvery = spec.PreviewEvery },
            }, reporter, ct);
            results.Record(jobId, r.ImagePng, new EditScores(r.StartMse, r.FinalMse));
        }
        else
        {
            // A photo is inverted as a first phase of its own, so its progress is shown too; the edit then starts from its latent.
            var offset = 0;
            EditStart start;
            if (spec.Source == EditSource.Photo)
            {
                var inverted = engine.Invert(new InversionRequest
                {
                    GeneratorPath = generator,
                    PhotoPath = paths.ResolveData(spec.Photo!),
                    OutputDirectory = Path.Combine(outDir, "inversion"),
                    ClipModels = clips,
                    Options = new InversionOptions { Steps = spec.InversionSteps, PreviewEvery = spec.PreviewEvery },
                }, new EditProgressReporter(store, jobId, 0, spec.TotalStepsFor(job.Kind)), ct);
                offset = spec.InversionSteps;
                start = new EditStart(LatentPath: inverted.LatentFile);
            }
            else
            {
                start = spec.Source == EditSource.Seed
                    ? new EditStart(Seed: spec.Seed ?? 0)
                    : new EditStart(LatentPath: results.LatentFile(spec.LatentJobId!.Value));
            }
            reporter = new EditProgressReporter(store, jobId, offset, spec.TotalStepsFor(job.Kind));
            var r = engine.Edit(new EditRequest
            {
                GeneratorPath = generator,
                BaseGeneratorPath = baseGenerator,
                ClipModels = clips,
                Text = spec.Text,
                Start = start,
                OutputDirectory = outDir,
                Options = new LatentOptimizationOptions { Steps = spec.Steps, LearningRate = spec.LearningRate, L2Weight = spec.L2Weight, PreviewEvery = spec.PreviewEvery },
            }, reporter, ct);
            results.Record(jobId, r.ImagePng, new EditScores(r.StartScore, r.FinalScore));
        }
    }

    private (string Generator, string? Base) GeneratorPaths(NadaDbContext db, EditSpec spec)
    {
        if (spec.DomainId is { } domainId)
        {
            var domain = db.Domains.AsNoTracking().SingleOrDefault(d => d.Id == domainId)
                ?? throw new InvalidOperationException("The gallery domain of this edit was deleted.");
            var basePath = catalog.Generators().FirstOrDefault(g => g.Id == domain.BaseModel)?.Path;
            return (paths.ResolveData(domain.GeneratorFile), basePath);
        }
        var model = catalog.Generators().FirstOrDefault(g => g.Id == spec.Generator)
            ?? throw new InvalidOperationException($"The base generator '{spec.Generator}' is no longer in the models folder.");
        return (model.Path, null);
    }

    private List<ClipModelChoice> ClipChoices(EditSpec spec) => JobLifecycle.ClipChoices(catalog, spec.ClipModels, spec.ClipWeights);
}
