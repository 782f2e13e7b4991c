namespace Nada.Web.Options;

/// <summary>Where the app keeps its files (section "Nada"; env vars Nada__DataDir, Nada__ModelsDir).</summary>
public sealed class NadaOptions
{
    public const string Section = "Nada";

    /// <summary>Folder for the database, runs, domains and uploads. Relative paths resolve against the content root.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Folder holding base generators (generators/) and CLIP models (clip/).</summary>
    public string ModelsDir { get; set; } = "data/models";
}

/// <summary>Background job settings (section "Jobs").</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Hangfire storage: memory | sqlite | postgres.</summary>
    public string Storage { get; set; } = "memory";

    /// <summary>Connection string for postgres; for sqlite a file path (default: DataDir/hangfire.db).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>GPUs on this box: the worker count of the "gpu" queue.</summary>
    public int GpuCount { get; set; } = 1;

    /// <summary>How often Hangfire checks whether a running job was deleted (seconds).</summary>
    public double CancellationCheckSeconds { get; set; } = 2;

    /// <summary>How long Hangfire waits for running jobs when the app stops (seconds).</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 15;
}

/// <summary>Per-user submission limits and input bounds (section "Limits").</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Jobs a user may have queued or running at once.</summary>
    public int MaxQueuedPerUser { get; set; } = 3;

    /// <summary>Submissions a user may make per minute.</summary>
    public int SubmissionsPerMinute { get; set; } = 5;

    /// <summary>Longest prompt, in characters.</summary>
    public int MaxPromptLength { get; set; } = 200;

    /// <summary>Fewest and most training iterations.</summary>
    public int MinIterations { get; set; } = 1;
    public int MaxIterations { get; set; } = 2000;

    /// <summary>Largest batch size, latent batch of layer selection and sample counts a user may ask for (GPU memory).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Most style images per job.</summary>
    public int MaxStyleImages { get; set; } = 4;

    /// <summary>Largest style image upload, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most pixels (width x height) of a style image, checked from its header before decoding.</summary>
    public long MaxUploadPixels { get; set; } = 4096L * 4096L;

    /// <summary>Most seeds sampled at once on a domain page.</summary>
    public int MaxSampleSeeds { get; set; } = 8;

    /// <summary>Sampling requests per minute per user (or per address, signed out): sampling uses the GPU.</summary>
    public int SamplesPerMinute { get; set; } = 120;
}

/// <summary>Which engine runs the jobs (section "Engine").</summary>
public sealed class EngineOptions
{
    public const string Section = "Engine";

    /// <summary>fake (deterministic, quick, for tests and demos) | torch (Nada.Core).</summary>
    public string Kind { get; set; } = "torch";

    /// <summary>Fake engine: milliseconds per step.</summary>
    public int FakeStepMilliseconds { get; set; } = 100;

    /// <summary>Fake engine: a preview grid and a checkpoint every this many steps.</summary>
    public int FakePreviewEvery { get; set; } = 5;

    /// <summary>Fake engine: a target text that makes a run fail at step 2 (to try the failure path); null for none.</summary>
    public string? FakeFailText { get; set; }
}

/// <summary>The first administrator, created at startup when missing (section "Admin").</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    public string? Email { get; set; }
    public string? Password { get; set; }
}
