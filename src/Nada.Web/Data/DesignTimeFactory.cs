using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Nada.Web.Data;

/// <summary>For the EF Core tools (migrations): a SQLite context on a throwaway file, without starting the app.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<NadaDbContext>
{
    public NadaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<NadaDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>For the EF Core tools: the PostgreSQL context (migrations are written without connecting).</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresNadaDbContext>
{
    public PostgresNadaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresNadaDbContext>().UseNpgsql("Host=localhost;Database=nada_design").Options);
}
