using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Nada.Web.Components.Shared;
using Nada.Web.Data;
using Nada.Web.Engine;
using Nada.Web.Jobs;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;
using Nada.Web.Progress;

namespace Nada.Web.Tests.Components;

/// <summary>bUnit tests of the main components: the submit form with the job rules' messages, the live view, the loss chart, a gallery card.</summary>
public sealed class ComponentTests : IAsyncLifetime
{
    // MudBlazor's services are only IAsyncDisposable: the context is disposed asynchronously.
    private readonly BunitContext _ctx = new();
    private BunitJSInterop JSInterop => _ctx.JSInterop;
    private BunitServiceProvider Services => _ctx.Services;
    private IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>>? p = null) where T : Microsoft.AspNetCore.Components.IComponent =>
        p is null ? _ctx.Render<T>() : _ctx.Render<T>(p);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    public ComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IModelCatalog>(new ListCatalog());
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new LimitsOptions()));
        Render<MudPopoverProvider>();
    }

    /// <summary>
    /// The form as the page drives it: a click hands the input to the job kind's checks (the one set of rules, run on
    /// the server) and their messages come back beside the fields.
    /// </summary>
    private (IRenderedComponent<SubmitForm> Cut, Func<Preparation?> Last) SubmitFormWithRules()
    {
        var kind = Kinds.Adaptation(new ListCatalog());
        Preparation? last = null;
        IRenderedComponent<SubmitForm>? cut = null;
        cut = Render<SubmitForm>(p => p.Add(x => x.OnSubmit, async (AdaptationInput i) =>
        {
            last = await kind.PrepareAsync(Kinds.User, i, CancellationToken.None);
            var errors = last.Errors.ToDictionary(e => e.Key, e => e.Value);
            await cut!.InvokeAsync(() => cut!.Render(q => q.Add(x => x.ServerErrors, errors)));
        }));
        return (cut, () => last);
    }

    [Fact]
    public void SubmitForm_ShowsTheRulesMessagesBesideTheFields_AndAValidFormPasses()
    {
        var (cut, last) = SubmitFormWithRules();
        Assert.Equal("gen-a.pkl", cut.Instance.Input.Generator);
        Assert.Equal(["clip-a.pt"], cut.Instance.Input.ClipModels);

        // Empty target.
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("The target text is empty", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Null(last()!.Job);

        // Same as the source to CLIP (case and spacing do not count), and too many iterations.
        cut.Instance.Input.TargetText = "  PHOTO ";
        cut.Instance.Input.Iterations = 5000;
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("Source and target text are the same to CLIP", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Contains("Iterations must be between 1 and 2000 (got 5000)", cut.Markup);
        Assert.Null(last()!.Job);

        // Too long for the box's cap, and for CLIP's 77 tokens.
        cut.Instance.Input.TargetText = new string('z', 201);
        cut.Instance.Input.Iterations = 100;
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("201 characters; at most 200", cut.Markup), TimeSpan.FromSeconds(30));
        cut.Instance.Input.TargetText = string.Join(" ", Enumerable.Repeat("x", 100));   // 199 characters, 100 tokens
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("too long for CLIP", cut.Markup), TimeSpan.FromSeconds(30));

        cut.Instance.Input.TargetText = "pencil sketch";
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.NotNull(last()!.Job), TimeSpan.FromSeconds(30));
        Assert.Equal("pencil sketch", ((AdaptationSpec)last()!.Job!.Spec).TargetText);
        Assert.DoesNotContain("The target text is empty", cut.Markup);
    }

    [Fact]
    public void SubmitForm_RefusesGreedyAdvancedOptions_AndNumbersTheEngineCannotUse()
    {
        var (cut, last) = SubmitFormWithRules();
        cut.Instance.Input.TargetText = "sketch";
        cut.Instance.Input.Options = new Nada.Core.Adaptation.AdaptationOptions { BatchSize = 50 };
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("Batch size 50 is too large for the shared GPU; at most 8", cut.Find("#options-error").TextContent), TimeSpan.FromSeconds(30));
        Assert.Null(last()!.Job);

        cut.Instance.Input.Options = new Nada.Core.Adaptation.AdaptationOptions { LearningRate = double.PositiveInfinity, Phase = (Nada.Core.Adaptation.TrainablePhase)99, SampleEvery = 1 };
        cut.Find("#submit-job").Click();
        cut.WaitForAssertion(() => Assert.Contains("Learning rate must be above 0", cut.Find("#options-error").TextContent), TimeSpan.FromSeconds(30));
        Assert.Contains("Unknown phase 99", cut.Find("#options-error").TextContent);
        Assert.Contains("would write too many images", cut.Find("#options-error").TextContent);
        Assert.Null(last()!.Job);
    }

    [Fact]
    public void SubmitForm_ShowsServerErrors()
    {
        var cut = Render<SubmitForm>(p => p.Add(x => x.ServerErrors, new Dictionary<string, string>
        {
            [""] = "You already have 3 jobs queued or running",
            ["StyleImages"] = "'bomb.png' is 100000x100000 pixels",
        }));
        Assert.Contains("You already have 3 jobs queued or running", cut.Find("#form-error").TextContent);
        Assert.Contains("100000x100000", cut.Find("#style-error").TextContent);
    }

    [Fact]
    public void JobLiveView_WhileQueued_ShowsThePlaceInTheQueue()
    {
        var snapshot = JobProgressSnapshot.Empty(Guid.NewGuid(), JobStatus.Queued);
        var cut = Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.QueuePosition, 3).Add(x => x.TotalSteps, 10).Add(x => x.CanCancel, true));
        Assert.Contains("position 3 in the queue", cut.Find("#queue-position").TextContent);
        Assert.NotNull(cut.Find("#cancel-job"));
        Assert.NotNull(cut.Find("#no-preview"));
    }

    [Fact]
    public void JobLiveView_WhileRunning_ShowsLossesAndTheNewestPreview()
    {
        var id = Guid.NewGuid();
        var losses = Enumerable.Range(1, 6).Select(s => new LossPoint(s, new Dictionary<string, double> { ["total"] = 1.0 / s })).ToList();
        var snapshot = new JobProgressSnapshot(id, JobStatus.Running, 6, 10, losses, [3, 6], null, null);
        var cancelled = false;
        var cut = Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.TotalSteps, 10)
            .Add(x => x.CanCancel, true).Add(x => x.OnCancel, () => cancelled = true));
        Assert.Equal("Step 6 of 10", cut.Find("#job-step").TextContent);
        Assert.Equal($"/files/jobs/{id}/previews/6", cut.Find("#preview-image").GetAttribute("src"));
        Assert.Equal("6", cut.Find("#loss-chart").GetAttribute("data-points"));
        Assert.Contains("total 0.1667", cut.Find("#last-loss").TextContent);
        Assert.NotEmpty(cut.FindAll("svg path"));
        cut.Find("#cancel-job").Click();
        Assert.True(cancelled);
    }

    [Fact]
    public void JobLiveView_ShowsEngineWarnings()
    {
        var snapshot = JobProgressSnapshot.Empty(Guid.NewGuid(), JobStatus.Running) with { Warnings = ["style image 2 was skipped"] };
        var cut = Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot));
        Assert.Equal("style image 2 was skipped", cut.Find(".job-warning").TextContent.Trim());
    }

    [Fact]
    public void JobLiveView_WhenDone_LinksTheDomain_AndOffersNoCancel()
    {
        var domain = Guid.NewGuid();
        var snapshot = new JobProgressSnapshot(Guid.NewGuid(), JobStatus.Succeeded, 10, 10, [], [], null, domain);
        var cut = Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.CanCancel, true));
        Assert.Equal($"/domains/{domain}", cut.Find("#domain-link").GetAttribute("href"));
        Assert.Empty(cut.FindAll("#cancel-job"));
    }

    [Fact]
    public void LossChart_ThinsLongRuns()
    {
        var losses = Enumerable.Range(1, 1000).Select(s => new LossPoint(s, new Dictionary<string, double> { ["total"] = 1.0 / s, ["directional"] = 0.5 / s })).ToList();
        var cut = Render<LossChart>(p => p.Add(x => x.Points, losses).Add(x => x.MaxPoints, 50));
        var chart = cut.FindComponent<MudChart<double>>();
        Assert.Equal(2, chart.Instance.ChartSeries.Count);
        Assert.InRange(chart.Instance.ChartSeries[0].Data.Count, 40, 52);
        Assert.Contains("Step 1000", cut.Markup);
    }

    [Fact]
    public void DomainCard_ShowsPromptsAndLinksTheDomain()
    {
        var d = new DomainRecord
        {
            Id = Guid.NewGuid(), JobId = Guid.NewGuid(), OwnerId = "u", Owner = new AppUser { Email = "ann@nada.test" },
            SourceText = "photo", TargetText = "watercolour", BaseModel = "gen-a.pkl", SettingsJson = "{}",
            Directory = "d", GeneratorFile = "d/g", ThumbnailFile = "d/t.png", CreatedAt = DateTimeOffset.UnixEpoch,
        };
        var cut = Render<DomainCard>(p => p.Add(x => x.Domain, d));
        Assert.Contains("watercolour", cut.Find(".domain-title").TextContent);
        Assert.Contains("ann@nada.test", cut.Markup);
        Assert.Equal($"/files/domains/{d.Id}/thumbnail", cut.Find("img").GetAttribute("src"));
        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == $"/domains/{d.Id}");
    }

    private sealed class ListCatalog : IModelCatalog
    {
        public IReadOnlyList<ModelEntry> Generators() => [new("gen-a.pkl", "gen-a", "/m/gen-a.pkl", 1), new("gen-b.pkl", "gen-b", "/m/gen-b.pkl", 1)];
        public IReadOnlyList<ModelEntry> ClipModels() => [new("clip-a.pt", "clip-a", "/m/clip-a.pt", 1)];
    }
}
