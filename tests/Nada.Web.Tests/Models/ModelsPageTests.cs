using Bunit;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Nada.Core.Models;
using Nada.Web.ModelAdmin;
using Nada.Web.Options;
using Nada.Web.Tests.Infrastructure;
using ModelsPage = Nada.Web.Components.Pages.Admin.Models;

namespace Nada.Web.Tests.Models;

/// <summary>bUnit tests of /admin/models: the registry rows, live progress from the notifier, failures, the download button.</summary>
public sealed class ModelsPageTests : IAsyncLifetime
{
    // The page re-renders at most every 200 ms through a delayed render; on a busy CI machine that can take longer
    // than bUnit's default one-second wait.
    private static readonly TimeSpan RenderWait = TimeSpan.FromSeconds(15);

    private readonly BunitContext _ctx = new();
    private readonly string _dir = TestPaths.NewTempDir("models-page");
    private readonly RecordingJobClient _jobs = new();
    private ModelDownloadNotifier _notifier = null!;

    public Task InitializeAsync()
    {
        string models = Path.Combine(_dir, "models");
        Directory.CreateDirectory(models);
        File.WriteAllBytes(Path.Combine(models, "present.pkl"), [1, 2, 3]);
        string registry = ModelTestRegistry.Write(_dir,
        [
            new("page-present", "StyleGAN2", "present.pkl", "http://127.0.0.1:9/present.pkl", null),
            new("page-missing", "CLIP", "missing.pt", "http://127.0.0.1:9/missing.pt", new string('a', 64), "torchscript"),
            new("page-sg3", "StyleGAN3", "sg3.pkl", "http://127.0.0.1:9/sg3.pkl", null, "nvlabs-pickle"),
        ]);
        var store = new ModelStore(ModelRegistry.Load(registry), models);
        _notifier = new ModelDownloadNotifier(TimeProvider.System);
        var paths = new DataPaths(Microsoft.Extensions.Options.Options.Create(new NadaOptions { DataDir = _dir, ModelsDir = models }), new TestHostEnvironment(_dir));

        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(store);
        _ctx.Services.AddSingleton(_notifier);
        _ctx.Services.AddSingleton<IBackgroundJobClient>(_jobs);
        _ctx.Services.AddSingleton<ModelAdminService>();
        _ctx.Services.AddSingleton(new ModelUploadService(paths, new Nada.Core.Service.Torch.TorchModelImporter(new Nada.Core.Scheduling.GpuBroker(["cpu"])), Microsoft.Extensions.Options.Options.Create(new ModelsOptions()), NullLogger<ModelUploadService>.Instance));
        _ctx.Render<MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        TestPaths.TryDelete(_dir);
    }

    [Fact]
    public void Rows_ShowTheRegistryWithStates()
    {
        var cut = _ctx.Render<ModelsPage>();
        var rows = cut.FindAll("tr.model-row");
        Assert.Equal(3, rows.Count);
        Assert.Equal("present", cut.Find("#model-page-present").GetAttribute("data-state"));
        Assert.Equal("missing", cut.Find("#model-page-missing").GetAttribute("data-state"));
        Assert.Contains("Test page-missing", cut.Find("#model-page-missing").TextContent);
        Assert.Contains("published", cut.Find("#model-page-missing .hash").TextContent);
        Assert.Contains("unpublished", cut.Find("#model-page-present .hash").TextContent);
        // StyleGAN3 is a trainable family now (issue 14): no "not trainable" chip, offered for download like SG2.
        Assert.DoesNotContain("not trainable", cut.Find("#model-page-sg3").TextContent);
        Assert.Single(cut.FindAll("#model-page-sg3 .download-button"));
        Assert.Contains("test licence note", cut.Find("#model-page-present .license").TextContent);
        Assert.Equal("https://example.org/models", cut.Find("#model-page-present a").GetAttribute("href"));
        // Download for missing models only; Verify for present ones.
        Assert.Empty(cut.FindAll("#model-page-present .download-button"));
        Assert.Single(cut.FindAll("#model-page-missing .download-button"));
        Assert.Single(cut.FindAll("#model-page-present .verify-button"));
    }

    [Fact]
    public void DownloadButton_QueuesOneJobOnTheDownloadsQueue_AndProgressAndErrorsShowLive()
    {
        var cut = _ctx.Render<ModelsPage>();
        cut.Find("#model-page-missing .download-button").Click();
        var (job, state) = Assert.Single(_jobs.Created);
        Assert.Equal(nameof(ModelDownloadJob.Run), job.Method.Name);
        Assert.Equal("page-missing", job.Args[0]);
        Assert.Equal("downloads", Assert.IsType<EnqueuedState>(state).Queue);
        Assert.Equal("queued", cut.Find("#model-page-missing").GetAttribute("data-state"));

        // A second click while it is queued does not queue another job.
        _ctx.Services.GetRequiredService<ModelAdminService>().StartDownload("page-missing");
        Assert.Single(_jobs.Created);

        _notifier.Report(new DownloadProgress("page-missing", DownloadPhase.Downloading, 3 * 1024 * 1024, 4 * 1024 * 1024,
            2 * 1024 * 1024, TimeSpan.FromSeconds(65), "http://127.0.0.1:9/missing.pt"));
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("downloading", cut.Find("#model-page-missing").GetAttribute("data-state"));
            var text = cut.Find("#model-page-missing .progress-text").TextContent;
            Assert.Contains("3.0 MiB of 4.0 MiB", text);
            Assert.Contains("75.0%", text);
            Assert.Contains("2.0 MiB/s", text);
            Assert.Contains("1:05 left", text);
        }, RenderWait);

        _notifier.Failed("page-missing", "no source could be reached for 'page-missing'; put the file at /x/missing.pt by hand");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("failed", cut.Find("#model-page-missing").GetAttribute("data-state"));
            Assert.Contains("put the file at /x/missing.pt by hand", cut.Find("#model-page-missing .download-error").TextContent);
            Assert.Single(cut.FindAll("#model-page-missing .download-button")); // can be retried
        }, RenderWait);
    }

    [Fact]
    public void DownloadSelected_QueuesEachTickedModel()
    {
        var cut = _ctx.Render<ModelsPage>();
        Assert.True(cut.Find("#download-selected").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("#model-page-present .select-model")); // present models cannot be ticked
        cut.Find("#model-page-missing .select-model").Change(true);
        cut.Find("#model-page-sg3 .select-model").Change(true);
        Assert.Contains("(2)", cut.Find("#download-selected").TextContent);
        cut.Find("#download-selected").Click();
        Assert.Equal(["page-missing", "page-sg3"], _jobs.Created.Select(c => (string)c.Job.Args[0]).Order());
        Assert.Equal("queued", cut.Find("#model-page-missing").GetAttribute("data-state"));
        Assert.Equal("queued", cut.Find("#model-page-sg3").GetAttribute("data-state"));
    }

    [Fact]
    public void VerifyButton_ShowsTheResult()
    {
        var cut = _ctx.Render<ModelsPage>();
        cut.Find("#model-page-present .verify-button").Click();
        cut.WaitForAssertion(() => Assert.Contains("ok: no published hash; recorded SHA-256", cut.Find("#model-page-present .verification").TextContent), RenderWait);
    }

    /// <summary>Records what the page asked Hangfire to run.</summary>
    private sealed class RecordingJobClient : IBackgroundJobClient
    {
        public List<(Job Job, IState State)> Created { get; } = [];

        public string Create(Job job, IState state)
        {
            lock (Created) Created.Add((job, state));
            return Created.Count.ToString();
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => true;
    }

    private sealed class TestHostEnvironment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Development";
        public string ApplicationName { get; set; } = "Nada.Web.Tests";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
