using System.Security.Claims;
using System.Text.Json;
using Nada.Core.Adaptation;
using Nada.Core.Runs;
using Nada.Web.Data;

namespace Nada.Web.Jobs.Kinds;

/// <summary>A sanitised file a submission brings, stored in the run's <c>inputs/</c> folder before the job is queued.</summary>
/// <param name="FileName">Its name inside <c>inputs/</c>.</param>
/// <param name="Bytes">Its content.</param>
public sealed record PreparedInput(string FileName, byte[] Bytes);

/// <summary>A checked submission: what to store and show.</summary>
/// <param name="Spec">The kind's spec (stored as JSON; file names relative to the run folder).</param>
/// <param name="Title">Short description for lists.</param>
/// <param name="TotalSteps">Steps the job will run.</param>
/// <param name="Inputs">Sanitised files to store with it.</param>
public sealed record PreparedJob(object Spec, string Title, int TotalSteps, IReadOnlyList<PreparedInput> Inputs);

/// <summary>The outcome of <see cref="IJobKind.PrepareAsync"/>: a job to store, or errors keyed by form field.</summary>
public sealed record Preparation(PreparedJob? Job, FieldErrors Errors)
{
    /// <summary>A refusal.</summary>
    public static Preparation Invalid(FieldErrors errors) => new(null, errors);
}

/// <summary>One run of a job on a GPU worker.</summary>
/// <param name="Job">The job's row (tracked by <paramref name="Db"/>).</param>
/// <param name="Layout">Its run folder.</param>
/// <param name="Context">Progress listener and cancellation for the engine.</param>
/// <param name="Db">The database context of this run (for what the outcome records).</param>
public sealed record JobRun(JobRecord Job, RunLayout Layout, RunContext Context, NadaDbContext Db);

/// <summary>What a finished job produced.</summary>
/// <param name="DomainId">The gallery domain it recorded, if any.</param>
public sealed record JobOutcome(Guid? DomainId = null);

/// <summary>
/// One kind of GPU work: how a submission of it is checked and stored, how it runs, what it produces. Everything
/// else (queueing, fair shares, quotas, claiming, cancelling, progress, restart) is the platform's and the same
/// for every kind. Adding a kind is one class implementing this (usually through <see cref="JobKind{TInput, TSpec}"/>)
/// plus its page.
/// </summary>
public interface IJobKind
{
    /// <summary>The stored kind.</summary>
    JobKind Kind { get; }

    /// <summary>Its name in the API ("adaptation", "latent-edit", "photo-invert").</summary>
    string ApiName { get; }

    /// <summary>What a submission of this kind looks like.</summary>
    Type InputType { get; }

    /// <summary>
    /// Checks a submission once: the engine's rules for its request, then the web's caps for a shared box; sanitises
    /// its uploads. Errors are keyed by form field.
    /// </summary>
    Task<Preparation> PrepareAsync(ClaimsPrincipal user, object input, CancellationToken ct);

    /// <summary>Runs the job through the engine, synchronously on the worker; throws when cancelled or failed.</summary>
    JobOutcome Run(JobRun run);
}

/// <summary>How job specs are stored.</summary>
public static class JobSpecs
{
    /// <summary>The JSON options of every stored spec.</summary>
    public static readonly JsonSerializerOptions Json = new();
}

/// <summary>Typed base of a job kind: its input and its stored spec.</summary>
public abstract class JobKind<TInput, TSpec> : IJobKind where TSpec : class
{
    /// <inheritdoc />
    public abstract JobKind Kind { get; }

    /// <inheritdoc />
    public abstract string ApiName { get; }

    /// <inheritdoc />
    public Type InputType => typeof(TInput);

    /// <inheritdoc />
    public Task<Preparation> PrepareAsync(ClaimsPrincipal user, object input, CancellationToken ct) =>
        input is TInput typed ? PrepareAsync(user, typed, ct)
            : throw new ArgumentException($"A {ApiName} job takes a {typeof(TInput).Name}, not a {input.GetType().Name}.");

    /// <inheritdoc />
    public JobOutcome Run(JobRun run) =>
        Run(run, JsonSerializer.Deserialize<TSpec>(run.Job.SpecJson, JobSpecs.Json)
                 ?? throw new InvalidDataException($"Job {run.Job.Id} has no {typeof(TSpec).Name}."));

    /// <summary>The spec of a stored job of this kind.</summary>
    public static TSpec SpecOf(JobRecord job) => JsonSerializer.Deserialize<TSpec>(job.SpecJson, JobSpecs.Json)!;

    /// <summary>Typed <see cref="IJobKind.PrepareAsync"/>.</summary>
    protected abstract Task<Preparation> PrepareAsync(ClaimsPrincipal user, TInput input, CancellationToken ct);

    /// <summary>Typed <see cref="IJobKind.Run"/>.</summary>
    protected abstract JobOutcome Run(JobRun run, TSpec spec);
}

/// <summary>The job kinds of the app, by stored kind and by API name.</summary>
public sealed class JobKinds(IEnumerable<IJobKind> kinds)
{
    private readonly Dictionary<JobKind, IJobKind> _byKind = kinds.ToDictionary(k => k.Kind);

    /// <summary>Every kind.</summary>
    public IReadOnlyCollection<IJobKind> All => _byKind.Values;

    /// <summary>The kind of a stored job.</summary>
    public IJobKind For(JobKind kind) =>
        _byKind.TryGetValue(kind, out var k) ? k : throw new InvalidOperationException($"No job kind handles '{kind}'.");

    /// <summary>The kind with an API name, or null.</summary>
    public IJobKind? ByApiName(string? name) => _byKind.Values.FirstOrDefault(k => k.ApiName == name);

    /// <summary>The kind class of type <typeparamref name="T"/>.</summary>
    public T Get<T>() where T : IJobKind => _byKind.Values.OfType<T>().Single();
}
