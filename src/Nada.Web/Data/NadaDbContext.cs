using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Nada.Web.Data;

/// <summary>
/// The app's database: accounts, jobs, domains, usage and quotas. One model for every provider; each provider has
/// its own migrations (SQLite: <c>Migrations/</c> for this class; PostgreSQL: <c>Migrations/Postgres/</c> for
/// <see cref="PostgresNadaDbContext"/>), because the two write different SQL.
/// </summary>
public class NadaDbContext : IdentityDbContext<AppUser>
{
    public NadaDbContext(DbContextOptions<NadaDbContext> options) : base(options) { }

    /// <summary>For provider-specific subclasses (their own migrations).</summary>
    protected NadaDbContext(DbContextOptions options) : base(options) { }

    public DbSet<JobRecord> Jobs => Set<JobRecord>();
    public DbSet<DomainRecord> Domains => Set<DomainRecord>();
    public DbSet<UsageRecord> Usage => Set<UsageRecord>();
    public DbSet<RoleQuotaRecord> RoleQuotas => Set<RoleQuotaRecord>();
    public DbSet<BoxRecord> Boxes => Set<BoxRecord>();
    public DbSet<SharedDomainRecord> SharedWithUsers => Set<SharedDomainRecord>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<JobRecord>(e =>
        {
            e.HasIndex(j => new { j.OwnerId, j.Status });
            e.HasIndex(j => j.CreatedAt);
            e.Property(j => j.Status).HasConversion<string>();
            // The column default fills rows of the first schema; the app always writes the kind (no CLR value is the
            // sentinel), so EF Core never leaves it to the database and has nothing to warn about at start.
            e.Property(j => j.Kind).HasConversion<string>().HasMaxLength(16).HasDefaultValueSql("'Adaptation'").HasSentinel((JobKind)(-1));
            // SQLite cannot order by DateTimeOffset; store UTC ticks.
            e.Property(j => j.CreatedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
            e.HasOne(j => j.Owner).WithMany().HasForeignKey(j => j.OwnerId);
            e.HasIndex(j => j.Status);
            e.Property(j => j.LeaseUntil).HasConversion(v => v == null ? (long?)null : v.Value.UtcTicks, v => v == null ? null : new DateTimeOffset(v.Value, TimeSpan.Zero));
        });
        builder.Entity<UsageRecord>(e =>
        {
            e.HasKey(u => new { u.UserId, u.Day });
            e.Property(u => u.Day).HasMaxLength(10);
        });
        builder.Entity<BoxRecord>(e =>
        {
            e.HasKey(b => b.Name);
            e.Property(b => b.Name).HasMaxLength(128);
            e.Property(b => b.Role).HasMaxLength(16);
            e.Property(b => b.LastSeen).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
        });
        builder.Entity<RoleQuotaRecord>(e =>
        {
            e.HasKey(q => q.Role);
            e.Property(q => q.Role).HasMaxLength(64);
        });
        builder.Entity<DomainRecord>(e =>
        {
            e.HasIndex(d => d.ShareToken).IsUnique();
            // As for jobs: the default fills rows of older schemas; the app always writes the kind (no sentinel CLR value).
            e.Property(d => d.Kind).HasConversion<string>().HasMaxLength(16).HasDefaultValueSql("'Full'").HasSentinel((Nada.Core.Adaptation.DomainKind)(-1));
            e.Property(d => d.CreatedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
            e.HasOne(d => d.Owner).WithMany().HasForeignKey(d => d.OwnerId);
        });
        builder.Entity<SharedDomainRecord>(e =>
        {
            e.HasKey(s => new { s.UserId, s.DomainId });
            e.Property(s => s.ShareToken).HasMaxLength(64);
            e.Property(s => s.OpenedAt).HasConversion(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
            e.HasOne(s => s.Domain).WithMany().HasForeignKey(s => s.DomainId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

/// <summary>The same database on PostgreSQL (the type its migrations are keyed by).</summary>
public sealed class PostgresNadaDbContext(DbContextOptions<PostgresNadaDbContext> options) : NadaDbContext(options);
