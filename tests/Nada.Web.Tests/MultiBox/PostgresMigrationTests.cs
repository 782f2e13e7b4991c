using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;
using Npgsql;

namespace Nada.Web.Tests.MultiBox;

/// <summary>
/// The PostgreSQL migrations on a real server: they build an empty database from nothing, and they upgrade a database
/// of the first schema (made here by applying only the first migration, as the first release did) keeping its rows.
/// </summary>
[Collection(nameof(MultiBoxCollection))]
public sealed class PostgresMigrationTests : IDisposable
{
    private readonly PostgresServer _pg = PostgresServer.Start();

    public void Dispose() => _pg.Dispose();

    private static Dictionary<string, string> On(string db) => new()
    {
        ["Database:Provider"] = "postgres",
        ["Database:ConnectionString"] = db,
    };

    private static PostgresNadaDbContext Context(string db) =>
        new(new DbContextOptionsBuilder<PostgresNadaDbContext>().UseNpgsql(db).Options);

    [Fact]
    public async Task AnEmptyDatabase_GetsEveryMigration_AndTheSiteWorks()
    {
        var db = _pg.CreateDatabase("empty");
        var data = TestPaths.NewTempDir("pg-empty");
        try
        {
            await using (var app = new NadaAppFactory(data, On(db)))
            {
                using var user = app.NewClient();
                await user.RegisterAndLoginAsync("new@nada.test", "User-pass-1");
                Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/api/auth/me")).StatusCode);
            }
            await using var ctx = Context(db);
            Assert.Empty(await ctx.Database.GetPendingMigrationsAsync());
            Assert.Equal(ctx.Database.GetMigrations(), await ctx.Database.GetAppliedMigrationsAsync());
            Assert.Equal(1, await ctx.Users.CountAsync(u => u.Email == "new@nada.test"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestPaths.TryDelete(data);
        }
    }

    [Fact]
    public async Task ADatabaseOfTheFirstSchema_IsUpgraded_KeepingUsersJobsAndDomains()
    {
        var db = _pg.CreateDatabase("old");
        var data = TestPaths.NewTempDir("pg-old");
        try
        {
            string first;
            await using (var ctx = Context(db))
            {
                first = ctx.Database.GetMigrations().First();
                await ctx.GetService<IMigrator>().MigrateAsync(first);
                Assert.Equal([first], await ctx.Database.GetAppliedMigrationsAsync());
            }

            var userId = Guid.NewGuid().ToString();
            var (adaptJob, editJob, domainId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            var domainDir = Path.Combine(data, "domains", domainId.ToString("N"));
            Directory.CreateDirectory(domainDir);
            await File.WriteAllTextAsync(Path.Combine(domainDir, "generator.fake.json"), "{\"Kind\":\"fake\",\"SourceText\":\"photo\",\"TargetText\":\"watercolour\",\"TargetHue\":0.3}");
            await File.WriteAllBytesAsync(Path.Combine(domainDir, "preview.png"), TestImages.Png(8, 8));
            await using (var c = new NpgsqlConnection(db))
            {
                await c.OpenAsync();
                var hash = new PasswordHasher<AppUser>().HashPassword(new AppUser(), "Old-pass-1");
                await Exec(c, """INSERT INTO "AspNetRoles" ("Id", "Name", "NormalizedName") VALUES ('r-user', 'User', 'USER')""");
                await Exec(c, $"""
                    INSERT INTO "AspNetUsers" ("Id", "UserName", "NormalizedUserName", "Email", "NormalizedEmail", "EmailConfirmed", "PasswordHash",
                        "SecurityStamp", "ConcurrencyStamp", "PhoneNumberConfirmed", "TwoFactorEnabled", "LockoutEnabled", "AccessFailedCount")
                    VALUES ('{userId}', 'old@nada.test', 'OLD@NADA.TEST', 'old@nada.test', 'OLD@NADA.TEST', false, '{hash}', 'STAMP', 'c', false, false, true, 0)
                    """);
                await Exec(c, $"""INSERT INTO "AspNetUserRoles" ("UserId", "RoleId") VALUES ('{userId}', 'r-user')""");
                const string adaptSpec = """{"Generator":"fake-ffhq-256.pkl","ClipModels":["fake-clip-vit-b32.pt"],"ClipWeights":[],"SourceText":"photo","TargetText":"watercolour","Iterations":42,"StyleImages":[],"Options":{"BatchSize":2}}""";
                const string editSpec = """{"Generator":"fake-ffhq-256.pkl","ClipModels":["fake-clip-vit-b32.pt"],"Text":"a smile","Source":2,"Photo":"uploads/x/photo.png","Steps":30,"InversionSteps":70,"PreviewEvery":5}""";
                long ticks = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero).UtcTicks;
                await Exec(c, $"""
                    INSERT INTO "Jobs" ("Id", "Kind", "OwnerId", "Status", "SpecJson", "Title", "CancelRequested", "CreatedAt", "StartedAt", "FinishedAt", "Attempts", "DomainId")
                    VALUES ('{adaptJob}', 'Adaptation', '{userId}', 'Succeeded', '{adaptSpec}', 'photo -> watercolour', false, {ticks},
                            '2026-11-01 12:00:00+00', '2026-11-01 12:05:00+00', 1, '{domainId}')
                    """);
                await Exec(c, $"""
                    INSERT INTO "Jobs" ("Id", "Kind", "OwnerId", "Status", "SpecJson", "Title", "CancelRequested", "CreatedAt", "Attempts")
                    VALUES ('{editJob}', 'LatentEdit', '{userId}', 'Failed', '{editSpec}', 'edit: a smile', false, {ticks + 1}, 1)
                    """);
                await Exec(c, $"""
                    INSERT INTO "Domains" ("Id", "JobId", "OwnerId", "SourceText", "TargetText", "BaseModel", "SettingsJson", "Directory", "GeneratorFile", "ThumbnailFile", "CreatedAt", "ShareToken")
                    VALUES ('{domainId}', '{adaptJob}', '{userId}', 'photo', 'watercolour', 'fake-ffhq-256.pkl', '{adaptSpec}', 'domains/{domainId:N}',
                            'domains/{domainId:N}/generator.fake.json', 'domains/{domainId:N}/preview.png', {ticks}, NULL)
                    """);
            }

            await using (var app = new NadaAppFactory(data, On(db)))
            {
                using var old = app.NewClient();
                await old.LoginAsync("old@nada.test", "Old-pass-1");
                var jobs = await old.Http.GetFromJsonAsync<List<JobSummaryDto>>("/api/jobs", ApiClient.Json) ?? [];
                Assert.Equal([editJob, adaptJob], jobs.Select(j => j.Id));
                Assert.Equal("photo -> watercolour", jobs[1].Title);
                Assert.Equal(42, (await old.GetJobAsync(adaptJob))!.TotalSteps);    // the step count, read from the old spec
                Assert.Equal(100, (await old.GetJobAsync(editJob))!.TotalSteps);    // an edit from a photo: inversion + edit
                var domain = Assert.Single((await old.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json))!);
                Assert.Equal("watercolour", domain.TargetText);
                Assert.Equal(HttpStatusCode.OK, (await old.Http.GetAsync(domain.ThumbnailUrl)).StatusCode);
            }
            await using var after = Context(db);
            Assert.Equal(after.Database.GetMigrations(), await after.Database.GetAppliedMigrationsAsync());
            Assert.True(after.Database.GetMigrations().Count() >= 3, "Initial, JobPlatform and Boxes at least");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TestPaths.TryDelete(data);
        }
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}
