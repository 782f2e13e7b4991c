namespace Nada.Core.Runs;

/// <summary>
/// What engine loops report through: writes each preview image once into the run folder, appends the step to the
/// run's history, passes the step (with the image's path) to the listener of the <see cref="RunContext"/>, and runs
/// the context's between-steps hook. A job of several phases reports each with its steps counted on
/// (<see cref="ForPhase"/>), so the history and the listener see one sequence.
/// </summary>
public sealed class RunReporter
{
    private readonly RunContext _context;
    private readonly RunHistory _history;
    private readonly int _offset;
    private readonly int? _total;
    private readonly string? _phase;

    /// <summary>A reporter for the whole job in <paramref name="layout"/>.</summary>
    public RunReporter(RunLayout layout, RunContext context) : this(layout, context, 0, null, null) { }

    private RunReporter(RunLayout layout, RunContext context, int offset, int? total, string? phase)
    {
        Layout = layout;
        _context = context;
        _history = new RunHistory(layout);
        _offset = offset;
        _total = total;
        _phase = phase;
    }

    /// <summary>The run folder.</summary>
    public RunLayout Layout { get; }

    /// <summary>The run's cancellation.</summary>
    public CancellationToken Cancellation => _context.Cancellation;

    /// <summary>The run's history.</summary>
    public RunHistory History => _history;

    /// <summary>A reporter for a phase whose steps come after <paramref name="offset"/> steps of a job of <paramref name="totalSteps"/>.</summary>
    public RunReporter ForPhase(string phase, int offset, int totalSteps) => new(Layout, _context, offset, totalSteps, phase);

    /// <summary>Call before every step: throws when cancelled, then lets waiting interactive work run (see <see cref="RunContext.BetweenSteps"/>).</summary>
    public void BeforeStep()
    {
        _context.Cancellation.ThrowIfCancellationRequested();
        _context.BetweenSteps?.Invoke();
        _context.Cancellation.ThrowIfCancellationRequested();
    }

    /// <summary>Tells the listener the loop starts after <paramref name="fromStep"/> of its steps.</summary>
    public void Started(int fromStep, int totalSteps) => _context.Progress.Started(_offset + fromStep, _total ?? totalSteps);

    /// <summary>Reports a finished step: its values and, when given, its preview PNG (written to <c>samples/</c>).</summary>
    public void Step(int step, int totalSteps, IReadOnlyDictionary<string, double> values, byte[]? previewPng = null, IReadOnlyList<int>? chosenLayers = null)
    {
        int jobStep = _offset + step, jobTotal = _total ?? totalSteps;
        string? image = null;
        if (previewPng is { Length: > 0 })
        {
            image = Layout.SampleFile(jobStep);
            RunLayout.WriteAtomic(image, previewPng);
        }
        var copy = new Dictionary<string, double>(values);
        _history.Append(new HistoryRecord(jobStep, jobTotal, copy, image is null ? null : Layout.Relative(image), chosenLayers, _phase));
        _context.Progress.Step(new StepReport(jobStep, jobTotal, copy, image, chosenLayers, _phase));
    }

    /// <summary>Records and passes on a warning.</summary>
    public void Warn(string message)
    {
        _history.Warn(message);
        _context.Progress.Warn(message);
    }
}
