using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Nada.Web.Components.Shared;
using Nada.Web.Data;
using Nada.Web.Progress;

namespace Nada.Web.Tests.Components;

/// <summary>Progress people can read: time and speed, the preview filmstrip, and a loss chart that shows every series.</summary>
public sealed class ProgressViewTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();

    public ProgressViewTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void Timing_OfARunningJob_CountsTheStepsOfTheCurrentRun()
    {
        var now = DateTimeOffset.Parse("2026-01-01T12:00:00Z");
        // Started 100 s ago, resumed 20 s ago at step 40, now at step 50 of 100: 0.5 steps/s, 100 s left.
        var live = JobTiming.Running(now, now.AddSeconds(-100), now.AddSeconds(-20), 40, 50, 100);
        Assert.Equal(TimeSpan.FromSeconds(100), live.Elapsed);
        Assert.Equal(0.5, live.StepsPerSecond!.Value, 6);
        Assert.Equal(TimeSpan.FromSeconds(100), live.Remaining);
        // Nothing done yet in this run: no speed, no guess.
        Assert.Null(JobTiming.Running(now, now.AddSeconds(-5), now.AddSeconds(-5), 0, 0, 100).StepsPerSecond);
        Assert.Equal("1 min 40 s", JobTiming.Format(live.Elapsed));
        Assert.Equal("2 h 05 min", JobTiming.Format(TimeSpan.FromMinutes(125)));
        Assert.Equal("4.5 s", JobTiming.Format(TimeSpan.FromSeconds(4.5)));
        Assert.Equal("2.5 steps/s", JobTiming.Rate(2.5));
        Assert.Equal("4 s/step", JobTiming.Rate(0.25));
    }

    [Fact]
    public void Duration_IsFromStartToEnd_OfFinishedJobsOnly()
    {
        var t0 = DateTimeOffset.Parse("2026-01-01T12:00:00Z");
        var job = new JobRecord { OwnerId = "u", SpecJson = "{}", Title = "t", Status = JobStatus.Succeeded, StartedAt = t0, FinishedAt = t0.AddSeconds(83) };
        Assert.Equal(TimeSpan.FromSeconds(83), JobTiming.Duration(job));
        job.Status = JobStatus.Running;
        Assert.Null(JobTiming.Duration(job));
    }

    [Fact]
    public void LiveView_WhileRunning_ShowsElapsedSpeedAndTimeLeft()
    {
        var now = DateTimeOffset.UtcNow;
        var snapshot = new JobProgressSnapshot(Guid.NewGuid(), JobStatus.Running, 30, 100, [], [], null, null) { RunStartedAt = now.AddSeconds(-10), RunStartedFromStep = 0 };
        var cut = _ctx.Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.TotalSteps, 100).Add(x => x.StartedAt, now.AddSeconds(-10)));
        var text = cut.Find("#job-timing").TextContent;
        Assert.Matches(@"^Elapsed 1\d(\.\d)? s · [23]\.\d+ steps/s · about 2\d(\.\d)? s left$", System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim());
    }

    [Fact]
    public void LiveView_WhenFinished_ShowsTheDuration_AndEveryPreviewInTheFilmstrip()
    {
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-5);
        var id = Guid.NewGuid();
        var snapshot = new JobProgressSnapshot(id, JobStatus.Succeeded, 12, 12, [], [3, 6, 9, 12], null, Guid.NewGuid());
        var cut = _ctx.Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.TotalSteps, 12).Add(x => x.StartedAt, t0).Add(x => x.FinishedAt, t0.AddSeconds(75)));
        Assert.Equal("Took 1 min 15 s", cut.Find("#job-duration").TextContent.Trim());
        Assert.Equal("4", cut.Find("#preview-caption").GetAttribute("data-count"));
        Assert.Equal(["3", "6", "9", "12"], cut.FindAll(".filmstrip-frame").Select(f => f.GetAttribute("data-step")!));
        Assert.Equal("12", cut.Find("#preview-image").GetAttribute("data-step"));
        // A frame picked from the strip is shown large; "Latest" goes back to the newest.
        cut.FindAll(".filmstrip-frame")[1].Click();
        Assert.Equal("6", cut.Find("#preview-image").GetAttribute("data-step"));
        Assert.Contains("2 of 4", cut.Find("#preview-caption").TextContent);
        cut.Find("#preview-slider").Input("0");
        Assert.Equal("3", cut.Find("#preview-image").GetAttribute("data-step"));
        cut.Find("#preview-latest").Click();
        Assert.Equal("12", cut.Find("#preview-image").GetAttribute("data-step"));
    }

    [Fact]
    public void Filmstrip_OfALongRun_IsThinned_ButTheSliderReachesEveryPreview()
    {
        var steps = Enumerable.Range(1, 200).Select(i => i * 5).ToList();
        var snapshot = new JobProgressSnapshot(Guid.NewGuid(), JobStatus.Succeeded, 1000, 1000, [], steps, null, null);
        var cut = _ctx.Render<JobLiveView>(p => p.Add(x => x.Snapshot, snapshot).Add(x => x.TotalSteps, 1000));
        var frames = cut.FindAll(".filmstrip-frame").Select(f => int.Parse(f.GetAttribute("data-step")!)).ToList();
        Assert.Equal(JobLiveView.MaxStripFrames, frames.Count);
        Assert.Equal(5, frames[0]);
        Assert.Equal(1000, frames[^1]);
        Assert.Equal("199", cut.Find("#preview-slider").GetAttribute("max"));
        cut.Find("#preview-slider").Input("57");
        Assert.Equal("290", cut.Find("#preview-image").GetAttribute("data-step"));
    }

    [Fact]
    public void LossChart_GivesSeriesOfVeryDifferentSizesTheirOwnAxis_AndDrawsEqualSeriesOnce()
    {
        // total equals directional at every step; the L2 term is a thousand times smaller.
        var points = Enumerable.Range(1, 20).Select(s => new LossPoint(s, new Dictionary<string, double>
        {
            ["directional"] = 0.8 / s, ["total"] = 0.8 / s, ["l2"] = 0.0008 / s,
        })).ToList();
        var cut = _ctx.Render<LossChart>(p => p.Add(x => x.Points, points).Add(x => x.Title, "Training loss"));
        var charts = cut.FindComponents<MudChart<double>>();
        Assert.Equal(2, charts.Count);
        Assert.Equal(["directional = total"], charts[0].Instance.ChartSeries.Select(s => s.Name));
        Assert.Equal(["l2"], charts[1].Instance.ChartSeries.Select(s => s.Name));
        Assert.Equal("Training loss by step: directional = total, l2", cut.Find("#loss-title").TextContent.Trim());
        // Each axis labels real values: the small series' axis goes up to its own largest value.
        Assert.Contains(">0.0008<", charts[1].Markup);
        Assert.Contains(">0.8<", charts[0].Markup);
    }

    [Fact]
    public void LossChart_KeepsSeriesOfSimilarSizeOnOneAxis()
    {
        var points = Enumerable.Range(1, 10).Select(s => new LossPoint(s, new Dictionary<string, double> { ["total"] = 1.0 / s, ["directional"] = 0.5 / s })).ToList();
        var cut = _ctx.Render<LossChart>(p => p.Add(x => x.Points, points));
        var chart = Assert.Single(cut.FindComponents<MudChart<double>>());
        Assert.Equal(["total", "directional"], chart.Instance.ChartSeries.Select(s => s.Name));
    }
}
