using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Nada.Web.Components.Shared;
using Nada.Web.Engine;

namespace Nada.Web.Tests.Components;

/// <summary>Empty states and demo networks: the pages say what is going on and where models come from.</summary>
public sealed class ModelNotesTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    private sealed class Catalog(ModelEntry[] generators, ModelEntry[] clips) : IModelCatalog
    {
        public IReadOnlyList<ModelEntry> Generators() => generators;
        public IReadOnlyList<ModelEntry> ClipModels() => clips;
    }

    private void Setup(Catalog catalog, bool admin)
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton<IModelCatalog>(catalog);
        var auth = _ctx.AddAuthorization();
        auth.SetAuthorized("someone@nada.test");
        if (admin) auth.SetRoles("Admin");
    }

    [Fact]
    public void WithNoModels_AnAdminIsSentToTheModelsPage()
    {
        Setup(new Catalog([], []), admin: true);
        var cut = _ctx.Render<ModelNotes>();
        Assert.Contains("No generator and no CLIP model are installed yet", cut.Find("#no-models").TextContent);
        Assert.Equal("/admin/models", cut.Find("#no-models-link").GetAttribute("href"));
    }

    [Fact]
    public void WithNoClipModel_AUserIsToldToAskAnAdmin()
    {
        Setup(new Catalog([new("g.pkl", "g", "/m/g.pkl", 1)], []), admin: false);
        var cut = _ctx.Render<ModelNotes>();
        var text = cut.Find("#no-models").TextContent;
        Assert.Contains("No CLIP model is installed yet", text);
        Assert.Contains("Ask an admin to add models.", text);
        Assert.Empty(cut.FindAll("#no-models-link"));
    }

    [Fact]
    public void ADemoNetwork_IsCalledOne_AndARealOneIsNot()
    {
        Setup(new Catalog([new("tiny-parity-stylegan2-64px.pt", "tiny-parity-stylegan2-64px", "/m/x.pt", 1)], [new("c.pt", "c", "/m/c.pt", 1)]), admin: false);
        var demo = _ctx.Render<ModelNotes>(p => p.Add(x => x.Model, "tiny-parity-stylegan2-64px.pt"));
        Assert.Contains("makes coloured noise", demo.Find("#demo-note").TextContent);
        var real = _ctx.Render<ModelNotes>(p => p.Add(x => x.Model, "stylegan2-ffhq-config-f"));
        Assert.Empty(real.FindAll("#demo-note"));
        Assert.Empty(real.FindAll("#no-models"));
    }

    [Fact]
    public void ADomainOfADemoNetwork_CarriesTheDemoChip_WhereverItIsListed()
    {
        Setup(new Catalog([], []), admin: false);
        static Nada.Web.Data.DomainRecord Domain(string baseModel) => new()
        {
            OwnerId = "u", SourceText = "photo", TargetText = "sketch", BaseModel = baseModel, SettingsJson = "{}",
            Directory = "d", GeneratorFile = "d/g", ThumbnailFile = "d/t",
        };
        var demo = _ctx.Render<DomainFacts>(p => p.Add(x => x.Domain, Domain("tiny-parity-stylegan2-64px.pt")));
        Assert.Equal("demo network: noise", demo.Find(".domain-demo").TextContent.Trim());
        Assert.Contains("coloured noise", demo.Find(".domain-demo").GetAttribute("title"));
        var real = _ctx.Render<DomainFacts>(p => p.Add(x => x.Domain, Domain("sg2-ffhq-1024")));
        Assert.Empty(real.FindAll(".domain-demo"));
    }
}
