namespace Nada.Core.Runs;

/// <summary>One reported step of any engine loop (training, latent edit, inversion).</summary>
/// <param name="Step">Steps done in the whole job (1 after its first step; phases of a job count on).</param>
/// <param name="TotalSteps">Steps of the whole job.</param>
/// <param name="Values">Loss terms and scores of this step by name ("total", "directional", "clip_score", ...).</param>
/// <param name="ImageFile">A preview image written for this step (absolute path), or null.</param>
/// <param name="ChosenLayers">W+ entries trained this step, when layer selection ran.</param>
/// <param name="Phase">The phase of a job of several ("inversion", "edit"); null for one-phase jobs.</param>
public sealed record StepReport(
    int Step,
    int TotalSteps,
    IReadOnlyDictionary<string, double> Values,
    string? ImageFile = null,
    IReadOnlyList<int>? ChosenLayers = null,
    string? Phase = null);

/// <summary>
/// Listens to a running engine loop: one contract for every kind of work. Called on the working thread, in order;
/// images arrive as files (written once, by the engine, in the run folder).
/// </summary>
public interface IRunProgress
{
    /// <summary>Everything is loaded; the first step runs next. <paramref name="fromStep"/> steps are done already (a resume).</summary>
    void Started(int fromStep, int totalSteps) { }

    /// <summary>A step finished (every step, or at the reporting interval).</summary>
    void Step(StepReport report);

    /// <summary>Something the user should know that does not stop the run.</summary>
    void Warn(string message) { }
}

/// <summary>An <see cref="IRunProgress"/> that ignores everything.</summary>
public sealed class NoRunProgress : IRunProgress
{
    /// <summary>The shared instance.</summary>
    public static readonly NoRunProgress Instance = new();

    /// <inheritdoc />
    public void Step(StepReport report) { }
}

/// <summary>How a piece of engine work runs: who listens, what cancels it, what runs between its steps.</summary>
public sealed record RunContext
{
    /// <summary>Receives the run's progress.</summary>
    public IRunProgress Progress { get; init; } = NoRunProgress.Instance;

    /// <summary>Cancels the run within one step.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Called on the working thread before every step: a device scheduler runs waiting interactive work there
    /// (a sample request waits at most one step). Null: nothing.
    /// </summary>
    public Action? BetweenSteps { get; init; }

    /// <summary>A context with only a listener and a token.</summary>
    public static RunContext For(IRunProgress progress, CancellationToken ct = default) => new() { Progress = progress, Cancellation = ct };
}
