using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Nada.Web.Components.Shared;
using Nada.Web.Data;
using Nada.Web.Edits;
using Nada.Web.Engine;
using Nada.Web.Jobs.Kinds;
using Nada.Web.Options;

namespace Nada.Web.Tests.Components;

/// <summary>bUnit tests of the latent-edit form: defaults, the job rules' messages beside the fields, and what it hands on.</summary>
public sealed class EditFormTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();

    private static readonly GeneratorChoice[] Generators =
    [
        new(EditInput.ModelChoice("gen-a.pkl"), "gen-a", "gen-a.pkl"),
        new(EditInput.ModelChoice("gen-b.pkl"), "gen-b", "gen-b.pkl"),
    ];

    public EditFormTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IModelCatalog>(new ListCatalog());
        _ctx.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new LimitsOptions()));
        _ctx.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    /// <summary>The form as the page drives it: the input goes to the kind's checks; their messages come back.</summary>
    private (IRenderedComponent<LatentEditForm> Cut, Func<Preparation?> Last) FormWithRules(Action<ComponentParameterCollectionBuilder<LatentEditForm>>? more = null)
    {
        var kind = Kinds.LatentEdit(new ListCatalog());
        Preparation? last = null;
        IRenderedComponent<LatentEditForm>? cut = null;
        cut = _ctx.Render<LatentEditForm>(p =>
        {
            p.Add(x => x.Generators, Generators).Add(x => x.OnSubmit, async (EditInput i) =>
            {
                last = await kind.PrepareAsync(Kinds.User, i, CancellationToken.None);
                var errors = last.Errors.ToDictionary(e => e.Key, e => e.Value);
                await cut!.InvokeAsync(() => cut!.Render(q => q.Add(x => x.ServerErrors, errors)));
            });
            more?.Invoke(p);
        });
        return (cut, () => last);
    }

    [Fact]
    public void TheRulesMessagesComeBackBesideTheFields_AndAValidFormPasses()
    {
        var (cut, last) = FormWithRules();
        Assert.Equal(EditInput.ModelChoice("gen-a.pkl"), cut.Instance.Input.Generator);
        Assert.Equal(["clip-a.pt"], cut.Instance.Input.ClipModels);
        Assert.Equal(EditSource.Seed, cut.Instance.Input.Source);

        cut.Find("#submit-edit").Click();
        cut.WaitForAssertion(() => Assert.Contains("The edit text is empty", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Null(last()!.Job);

        cut.Instance.Input.Text = "a smiling face";
        cut.Instance.Input.LearningRate = 3;
        cut.Instance.Input.Steps = 0;
        cut.Find("#submit-edit").Click();
        cut.WaitForAssertion(() => Assert.Contains("The learning rate must be above 0 and at most 1, got 3", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Contains("Steps must be between 1 and 2000", cut.Markup);
        Assert.DoesNotContain("The edit text is empty", cut.Markup);
        Assert.Null(last()!.Job);

        Assert.Single(cut.FindAll(".clip-weight"));   // one weight per chosen CLIP model, in the advanced fold
        cut.Instance.Input.ClipWeights = [20f];
        cut.Instance.Input.LearningRate = 0.05;
        cut.Instance.Input.Steps = 40;
        cut.Find("#submit-edit").Click();
        cut.WaitForAssertion(() => Assert.Contains("CLIP model weights must be above 0 and at most 10", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Null(last()!.Job);

        cut.Instance.Input.ClipWeights = [0.5f];
        cut.Instance.Input.Generator = Generators[1].Choice;
        cut.Find("#submit-edit").Click();
        cut.WaitForAssertion(() => Assert.NotNull(last()!.Job), TimeSpan.FromSeconds(30));
        var spec = (EditSpec)last()!.Job!.Spec;
        Assert.Equal("a smiling face", spec.Text);
        Assert.Equal("gen-b.pkl", spec.Generator);
        Assert.Equal(40, spec.Steps);
        Assert.Equal([0.5f], spec.ClipWeights);
        Assert.Equal(40, last()!.Job!.TotalSteps);
    }

    [Fact]
    public void StartingFromAPhoto_NeedsOne_AndALatentStartIsHandedOn()
    {
        var (cut, last) = FormWithRules();
        cut.Instance.Input.Text = "a smiling face";
        cut.Instance.Input.Source = EditSource.Photo;
        cut.Render();
        Assert.NotEmpty(cut.FindAll("#edit-photo"));
        cut.Find("#submit-edit").Click();
        cut.WaitForAssertion(() => Assert.Contains("Upload a photo", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Null(last()!.Job);

        EditInput? submitted = null;
        var latent = Guid.NewGuid();
        var fromLatent = _ctx.Render<LatentEditForm>(p => p
            .Add(x => x.Generators, Generators)
            .Add(x => x.Latents, new Dictionary<Guid, string> { [latent] = "invert photo" })
            .Add(x => x.InitialLatent, latent)
            .Add(x => x.OnSubmit, (EditInput i) => submitted = i));
        Assert.Equal(EditSource.Latent, fromLatent.Instance.Input.Source);
        fromLatent.Instance.Input.Text = "a smiling face";
        fromLatent.Find("#submit-edit").Click();
        Assert.NotNull(submitted);
        Assert.Equal(JobKind.LatentEdit, submitted.Kind);
        Assert.Equal(latent, submitted.LatentJobId);
    }

    private sealed class ListCatalog : IModelCatalog
    {
        public IReadOnlyList<ModelEntry> Generators() => [new("gen-a.pkl", "gen-a", "/m/gen-a.pkl", 1), new("gen-b.pkl", "gen-b", "/m/gen-b.pkl", 1)];
        public IReadOnlyList<ModelEntry> ClipModels() => [new("clip-a.pt", "clip-a", "/m/clip-a.pt", 1)];
    }
}
