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

/// <summary>Where accounts, jobs and domains are kept (section "Database").</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>sqlite (the embedded default: DataDir/nada.db) | postgres (shared by several boxes).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For postgres, an Npgsql connection string; for sqlite, optional (default: DataDir/nada.db).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>True for PostgreSQL.</summary>
    public bool IsPostgres => Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Background job settings (section "Jobs").</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Hangfire storage: memory | sqlite | postgres.</summary>
    public string Storage { get; set; } = "memory";

    /// <summary>Connection string for postgres; for sqlite a file path (default: DataDir/hangfire.db).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// What this box does: both (default: serves the web and trains), web (serves the web only; no GPU work here) or
    /// train (trains only; serves health endpoints and no pages).
    /// </summary>
    public string Role { get; set; } = "both";

    /// <summary>GPUs (or the CPU, counted as one) this box trains on; 0 for a box that only serves the web.</summary>
    public int GpuCount { get; set; } = 1;

    /// <summary>True when this box runs GPU jobs.</summary>
    public bool Trains => !Role.Equals("web", StringComparison.OrdinalIgnoreCase) && GpuCount > 0;

    /// <summary>True when this box serves pages and the API.</summary>
    public bool ServesWeb => !Role.Equals("train", StringComparison.OrdinalIgnoreCase);

    /// <summary>Jobs that may run at once on one GPU (1: two jobs never share a GPU).</summary>
    public int JobsPerGpu { get; set; } = 1;

    /// <summary>This box's name on the jobs it runs (default: the machine name); unique among boxes sharing a database.</summary>
    public string? ServerName { get; set; }

    /// <summary>How long a running job's claim lasts without a heartbeat (seconds): a box that dies lets its jobs go after this.</summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>How often a running job renews its lease, records GPU time and looks for a cancel (seconds).</summary>
    public double HeartbeatSeconds { get; set; } = 5;

    /// <summary>How often the box looks for jobs of dead boxes and for queued jobs to start (seconds).</summary>
    public double SweepSeconds { get; set; } = 5;

    /// <summary>How often Hangfire checks whether a running job was deleted (seconds).</summary>
    public double CancellationCheckSeconds { get; set; } = 2;

    /// <summary>How long Hangfire waits for running jobs when the app stops (seconds).</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 15;
}

/// <summary>Per-user submission limits and input bounds (section "Limits").</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Submissions a user may make per minute.</summary>
    public int SubmissionsPerMinute { get; set; } = 5;

    /// <summary>Longest prompt, in characters.</summary>
    public int MaxPromptLength { get; set; } = 200;

    /// <summary>Fewest and most training iterations.</summary>
    public int MinIterations { get; set; } = 1;
    public int MaxIterations { get; set; } = 2000;

    /// <summary>Largest batch size, latent batch of layer selection and sample counts a user may ask for (GPU memory).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Most targets of one compact job (one domain each; the engine's own limit is higher).</summary>
    public int MaxTargetsPerJob { get; set; } = 8;

    /// <summary>Most compact domains in one mix.</summary>
    public int MaxMixDomains { get; set; } = 8;

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

    /// <summary>Uploaded images decoded at once (a 4096x4096 image takes 64 MB while decoded).</summary>
    public int MaxConcurrentDecodes { get; set; } = 2;

    /// <summary>Most preview images one job writes: the preview interval is raised to fit (disk on a shared box).</summary>
    public int MaxPreviewsPerJob { get; set; } = 60;

    /// <summary>Disk space one user's run folders (inputs, previews, checkpoints, results) and gallery domains may take (default 20 GiB).</summary>
    public long MaxDiskBytesPerUser { get; set; } = 20L << 30;

    /// <summary>Free space the data folder's disk must keep: below it no job starts (default 2 GiB).</summary>
    public long MinFreeDiskBytes { get; set; } = 2L << 30;

    /// <summary>Most training checkpoints one job writes (each is a copy of the generator and its optimiser state; two are kept).</summary>
    public int MaxCheckpointsPerJob { get; set; } = 20;
}

/// <summary>The first administrator, created at startup when missing (section "Admin").</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    public string? Email { get; set; }
    public string? Password { get; set; }
}

/// <summary>How finished domains are scored (section "Evaluation").</summary>
public sealed class EvaluationOptions
{
    public const string Section = "Evaluation";

    /// <summary>Score every finished domain (quality, diversity, direction) at the end of its job.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The evaluator CLIP: a catalog id of the CLIP models; empty = the first CLIP model of the catalog.</summary>
    public string ClipModel { get; set; } = "";

    /// <summary>Samples rendered per score (base and domain alike; at least 2).</summary>
    public int Samples { get; set; } = 64;

    /// <summary>First seed of the samples.</summary>
    public int Seed { get; set; } = 1000;
}
