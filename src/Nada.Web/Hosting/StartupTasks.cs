using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;
using Nada.Web.Security;

namespace Nada.Web.Hosting;

/// <summary>Prepares the database, the roles and the first admin, and (fake engine) placeholder model files.</summary>
public static class StartupTasks
{
    public static async Task InitialiseNadaAsync(this WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<NadaDbContext>();
        await db.Database.EnsureCreatedAsync();
        await sp.GetRequiredService<AccountService>().SeedAsync(sp.GetRequiredService<IOptions<AdminOptions>>().Value);

        var engine = sp.GetRequiredService<IOptions<EngineOptions>>().Value;
        if (engine.Kind.Equals("fake", StringComparison.OrdinalIgnoreCase))
            SeedFakeModels(sp.GetRequiredService<DataPaths>());
    }

    /// <summary>The fake engine needs model files to choose from, not real weights: write small placeholders when none exist.</summary>
    private static void SeedFakeModels(DataPaths paths)
    {
        foreach (var (sub, names) in new[]
                 {
                     ("generators", new[] { "fake-ffhq-256.pkl", "fake-afhqdog-256.pkl" }),
                     ("clip", new[] { "fake-clip-vit-b32.pt", "fake-clip-vit-b16.pt" }),
                 })
        {
            var dir = Path.Combine(paths.ModelsDir, sub);
            Directory.CreateDirectory(dir);
            if (Directory.EnumerateFiles(dir).Any()) continue;
            foreach (var n in names) File.WriteAllText(Path.Combine(dir, n), "placeholder for the fake engine\n");
        }
    }
}
