using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Nada.Web.Data;
using Nada.Web.Options;
using Nada.Web.Security;

namespace Nada.Web.Hosting;

/// <summary>Brings the database schema up to date (keeping every row), and creates the roles and the first admin.</summary>
public static class StartupTasks
{
    /// <summary>The migration that matches the schema of databases made before migrations (by EnsureCreated).</summary>
    public const string BaselineMigration = "20261130174553_Initial";

    public static async Task InitialiseNadaAsync(this WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<NadaDbContext>();
        var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Nada.Web.Database");
        FileModes.RestrictNewFiles();
        FileModes.Narrow(sp.GetRequiredService<DataPaths>().DataDir, log);
        await MigrateAsync(db, log);
        await sp.GetRequiredService<AccountService>().SeedAsync(sp.GetRequiredService<IOptions<AdminOptions>>().Value);
    }

    /// <summary>
    /// Applies pending migrations. A database made before migrations existed (its tables are there, the migrations
    /// history is not) has exactly the first migration's schema: that migration is recorded as applied, then the later
    /// ones run, so an upgrade keeps users, jobs and domains.
    /// </summary>
    public static async Task MigrateAsync(NadaDbContext db, ILogger log)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        var history = db.GetService<IHistoryRepository>();
        if (await creator.ExistsAsync() && await creator.HasTablesAsync() && !await history.ExistsAsync())
        {
            log.LogWarning("The database predates migrations: recording {Baseline} as applied, then upgrading", BaselineMigration);
            await db.Database.ExecuteSqlRawAsync(history.GetCreateScript());
            await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(BaselineMigration, ProductInfo.GetVersion())));
        }
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        if (pending.Count > 0) log.LogInformation("Applying database migrations: {Migrations}", string.Join(", ", pending));
        await db.Database.MigrateAsync();
    }
}
