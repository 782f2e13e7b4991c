using Microsoft.EntityFrameworkCore;
using Nada.Web.Data;
using Nada.Web.Options;

namespace Nada.Web.Hosting;

/// <summary>
/// The database: SQLite in the data folder (the embedded default of one box) or PostgreSQL (one database for several
/// boxes). Everything asks for <see cref="NadaDbContext"/> (or its factory); on PostgreSQL that is a
/// <see cref="PostgresNadaDbContext"/>, whose own migrations run at start.
/// </summary>
public static class DatabaseSetup
{
    public static IServiceCollection AddNadaDatabase(this IServiceCollection services, IConfiguration config)
    {
        var db = config.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (db.IsPostgres)
        {
            services.AddDbContextFactory<PostgresNadaDbContext>(o => o.UseNpgsql(db.ConnectionString));
            services.AddSingleton<IDbContextFactory<NadaDbContext>>(sp => new Upcast(sp.GetRequiredService<IDbContextFactory<PostgresNadaDbContext>>()));
            services.AddScoped<NadaDbContext>(sp => sp.GetRequiredService<PostgresNadaDbContext>());
        }
        else
        {
            services.AddDbContextFactory<NadaDbContext>((sp, o) => o.UseSqlite(db.ConnectionString is { Length: > 0 } c
                ? c : $"Data Source={sp.GetRequiredService<DataPaths>().DatabaseFile}"));
        }
        return services;
    }

    /// <summary>The PostgreSQL factory seen as the app's.</summary>
    private sealed class Upcast(IDbContextFactory<PostgresNadaDbContext> inner) : IDbContextFactory<NadaDbContext>
    {
        public NadaDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
