using Microsoft.Extensions.Hosting.Internal;
using Nada.Core.Models;
using Nada.Web.Engine;
using Nada.Web.Options;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Models;

/// <summary>
/// The submit page's generator list: present registry models of every StyleGAN family (StyleGAN3 included) are
/// offered, missing ones and CLIP models are not, then the files in generators/.
/// </summary>
public sealed class ModelCatalogFamilyTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDir("catalog");

    public void Dispose() => TestPaths.TryDelete(_dir);

    [Fact]
    public void PresentStyleGan3RegistryModelsAreOfferedAsGenerators()
    {
        string registryFile = ModelTestRegistry.Write(_dir,
        [
            new("cat-sg2", "StyleGAN2", "cat-sg2.pkl", "http://127.0.0.1:9/a", null),
            new("cat-sg3t", "StyleGAN3", "cat-sg3t.pkl", "http://127.0.0.1:9/b", null, "nvlabs-pickle"),
            new("cat-sg3r-missing", "StyleGAN3", "cat-sg3r.pkl", "http://127.0.0.1:9/c", null, "nvlabs-pickle"),
            new("cat-clip", "CLIP", "cat-clip.pt", "http://127.0.0.1:9/d", null, "torchscript"),
        ]);
        string models = Path.Combine(_dir, "models");
        Directory.CreateDirectory(Path.Combine(models, "generators"));
        foreach (var f in new[] { "cat-sg2.pkl", "cat-sg3t.pkl", "cat-clip.pt", "generators/uploaded-sg3.safetensors", "generators/uploaded-sg3.json" })
            File.WriteAllText(Path.Combine(models, f), "x");
        var options = Microsoft.Extensions.Options.Options.Create(new NadaOptions { DataDir = Path.Combine(_dir, "data"), ModelsDir = models });
        var paths = new DataPaths(options, new HostingEnvironment { ContentRootPath = _dir });
        var catalog = new FolderModelCatalog(paths, new ModelStore(ModelRegistry.LoadFile(registryFile), models));

        Assert.Equal(["cat-sg2", "cat-sg3t", "uploaded-sg3.safetensors"], catalog.Generators().Select(g => g.Id));
        Assert.Equal("Test cat-sg3t", catalog.Generators()[1].Name);
        Assert.Equal(["cat-clip"], catalog.ClipModels().Select(c => c.Id));
    }
}
