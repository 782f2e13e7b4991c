using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Nada.Web.Components.Shared;
using Nada.Web.Data;
using Nada.Web.Edits;
using Nada.Web.Engine;
using Nada.Web.Options;

namespace Nada.Web.Tests.Components;

/// <summary>bUnit tests of the latent-edit form: defaults, field messages, and what a valid form hands on.</summary>
public sealed class EditFormTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();

    private static readonly GeneratorChoice[] Generators =
    [
        new(EditInput.ModelChoice("gen-a.pkl"), "gen-a", "gen-a.pkl"),
        new(EditInput.DomainChoice(Guid.Parse("11111111-2222-3333-4444-555555555555")), "sketch (domain of gen-a.pkl)", "gen-a.pkl"),
    ];

    public EditFormTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IModelCatalog>(new ListCatalog());
        _ctx.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new LimitsOptions()));
        _ctx.Services.AddSingleton<EditValidator>();
        _ctx.Render<MudPopoverProvider>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void EmptyText_IsAFormError_AndAValidFormIsHandedOn()
    {
        EditInput? submitted = null;
        var cut = _ctx.Render<LatentEditForm>(p => p
            .Add(x => x.Generators, Generators)
            .Add(x => x.OnSubmit, (EditInput i) => submitted = i));
        Assert.Equal(EditInput.ModelChoice("gen-a.pkl"), cut.Instance.Input.Generator);
        Assert.Equal(["clip-a.pt"], cut.Instance.Input.ClipModels);
        Assert.Equal(EditSource.Seed, cut.Instance.Input.Source);

        cut.Find("#submit-edit").Click();
        Assert.Contains("Describe the image you want", cut.Markup);
        Assert.Null(submitted);

        cut.Instance.Input.Text = "a smiling face";
        cut.Instance.Input.LearningRate = 3;
        cut.Instance.Input.Steps = 0;
        cut.Find("#submit-edit").Click();
        Assert.Contains("The learning rate must be in (0, 1], got 3", cut.Markup);
        Assert.Contains("Steps must be between 1 and 2000", cut.Markup);
        Assert.DoesNotContain("Describe the image you want", cut.Markup);
        Assert.Null(submitted);

        Assert.Single(cut.FindAll(".clip-weight"));   // one weight per chosen CLIP model, in the advanced fold
        cut.Instance.Input.ClipWeights = [20f];
        cut.Find("#submit-edit").Click();
        Assert.Contains("CLIP weights must be between 0 (exclusive) and 10", cut.Markup);
        Assert.Null(submitted);

        cut.Instance.Input.ClipWeights = [0.5f];
        cut.Instance.Input.LearningRate = 0.05;
        cut.Instance.Input.Steps = 40;
        cut.Instance.Input.Generator = Generators[1].Choice;
        cut.Find("#submit-edit").Click();
        Assert.NotNull(submitted);
        Assert.Equal(JobKind.LatentEdit, submitted.Kind);
        Assert.Equal("a smiling face", submitted.Text);
        Assert.Equal(Generators[1].Choice, submitted.Generator);
        Assert.Equal(40, submitted.Steps);
        Assert.Equal([0.5f], submitted.ClipWeights);
    }

    [Fact]
    public void StartingFromALatentOrAPhoto_NeedsOne()
    {
        EditInput? submitted = null;
        var latent = Guid.NewGuid();
        var cut = _ctx.Render<LatentEditForm>(p => p
            .Add(x => x.Generators, Generators)
            .Add(x => x.Latents, new Dictionary<Guid, string> { [latent] = "invert photo" })
            .Add(x => x.OnSubmit, (EditInput i) => submitted = i));
        cut.Instance.Input.Text = "a smiling face";
        cut.Instance.Input.Source = EditSource.Photo;
        cut.Render();
        Assert.NotEmpty(cut.FindAll("#edit-photo"));
        cut.Find("#submit-edit").Click();
        Assert.Contains("Upload a photo", cut.Markup);
        Assert.Null(submitted);

        var fromLatent = _ctx.Render<LatentEditForm>(p => p
            .Add(x => x.Generators, Generators)
            .Add(x => x.InitialLatent, latent)
            .Add(x => x.OnSubmit, (EditInput i) => submitted = i));
        Assert.Equal(EditSource.Latent, fromLatent.Instance.Input.Source);
        fromLatent.Instance.Input.Text = "a smiling face";
        fromLatent.Find("#submit-edit").Click();
        Assert.NotNull(submitted);
        Assert.Equal(latent, submitted.LatentJobId);
    }

    private sealed class ListCatalog : IModelCatalog
    {
        public IReadOnlyList<ModelEntry> Generators() => [new("gen-a.pkl", "gen-a", "/m/gen-a.pkl", 1)];
        public IReadOnlyList<ModelEntry> ClipModels() => [new("clip-a.pt", "clip-a", "/m/clip-a.pt", 1)];
    }
}
