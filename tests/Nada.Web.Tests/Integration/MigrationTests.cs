using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Nada.Web.Api;
using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// A database made by the app before migrations existed (its schema, <c>Data/schema-v1.sql</c>, was dumped from a
/// database that version created with EnsureCreated) is upgraded at start and keeps every user, job and domain.
/// </summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task ADatabaseOfTheFirstSchema_IsUpgraded_KeepingUsersJobsAndDomains()
    {
        var data = TestPaths.NewTempDir("migrate");
        try
        {
            var userId = Guid.NewGuid().ToString();
            var adaptJob = Guid.NewGuid();
            var editJob = Guid.NewGuid();
            var domainId = Guid.NewGuid();
            var domainDir = Path.Combine(data, "domains", domainId.ToString("N"));
            Directory.CreateDirectory(domainDir);
            await File.WriteAllTextAsync(Path.Combine(domainDir, "generator.fake.json"), "{\"Kind\":\"fake\",\"SourceText\":\"photo\",\"TargetText\":\"watercolour\",\"TargetHue\":0.3}");
            await File.WriteAllBytesAsync(Path.Combine(domainDir, "preview.png"), TestImages.Png(8, 8));

            using (var c = new SqliteConnection($"Data Source={Path.Combine(data, "nada.db")}"))
            {
                c.Open();
                Exec(c, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "schema-v1.sql")));
                var hash = new PasswordHasher<AppUser>().HashPassword(new AppUser(), "Old-pass-1");
                Exec(c, "INSERT INTO AspNetRoles (Id, Name, NormalizedName) VALUES ('r-user', 'User', 'USER')");
                Exec(c, $"""
                    INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, Email, NormalizedEmail, EmailConfirmed, PasswordHash, SecurityStamp,
                        ConcurrencyStamp, PhoneNumberConfirmed, TwoFactorEnabled, LockoutEnabled, AccessFailedCount)
                    VALUES ('{userId}', 'old@nada.test', 'OLD@NADA.TEST', 'old@nada.test', 'OLD@NADA.TEST', 0, '{hash}', 'STAMP', 'c', 0, 0, 1, 0)
                    """);
                Exec(c, $"INSERT INTO AspNetUserRoles (UserId, RoleId) VALUES ('{userId}', 'r-user')");
                const string adaptSpec = """{"Generator":"fake-ffhq-256.pkl","ClipModels":["fake-clip-vit-b32.pt"],"ClipWeights":[],"SourceText":"photo","TargetText":"watercolour","Iterations":42,"StyleImages":[],"Options":{"BatchSize":2}}""";
                const string editSpec = """{"Generator":"fake-ffhq-256.pkl","ClipModels":["fake-clip-vit-b32.pt"],"Text":"a smile","Source":2,"Photo":"uploads/x/photo.png","Steps":30,"InversionSteps":70,"PreviewEvery":5}""";
                long ticks = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero).UtcTicks;
                Exec(c, $"""
                    INSERT INTO Jobs (Id, Kind, OwnerId, Status, SpecJson, Title, CancelRequested, CreatedAt, StartedAt, FinishedAt, Attempts, DomainId)
                    VALUES ('{adaptJob.ToString().ToUpperInvariant()}', 'Adaptation', '{userId}', 'Succeeded', '{adaptSpec}', 'photo -> watercolour', 0, {ticks},
                            '2026-11-01 12:00:00+00:00', '2026-11-01 12:05:00+00:00', 1, '{domainId.ToString().ToUpperInvariant()}')
                    """);
                Exec(c, $"""
                    INSERT INTO Jobs (Id, Kind, OwnerId, Status, SpecJson, Title, CancelRequested, CreatedAt, Attempts)
                    VALUES ('{editJob.ToString().ToUpperInvariant()}', 'LatentEdit', '{userId}', 'Failed', '{editSpec}', 'edit: a smile', 0, {ticks + 1}, 1)
                    """);
                Exec(c, $"""
                    INSERT INTO Domains (Id, JobId, OwnerId, SourceText, TargetText, BaseModel, SettingsJson, Directory, GeneratorFile, ThumbnailFile, CreatedAt, ShareToken)
                    VALUES ('{domainId.ToString().ToUpperInvariant()}', '{adaptJob.ToString().ToUpperInvariant()}', '{userId}', 'photo', 'watercolour', 'fake-ffhq-256.pkl',
                            '{adaptSpec}', 'domains/{domainId:N}', 'domains/{domainId:N}/generator.fake.json', 'domains/{domainId:N}/preview.png', {ticks}, NULL)
                    """);
            }
            SqliteConnection.ClearAllPools();

            await using var app = new NadaAppFactory(data);
            using var old = app.NewClient();
            await old.LoginAsync("old@nada.test", "Old-pass-1");
            var jobs = await old.Http.GetFromJsonAsync<List<JobSummaryDto>>("/api/jobs", ApiClient.Json) ?? [];
            Assert.Equal([editJob, adaptJob], jobs.Select(j => j.Id));
            Assert.Equal("photo -> watercolour", jobs[1].Title);
            Assert.Equal(42, (await old.GetJobAsync(adaptJob))!.TotalSteps);    // the step count, read from the old spec
            Assert.Equal(100, (await old.GetJobAsync(editJob))!.TotalSteps);    // an edit from a photo: inversion + edit
            var domains = await old.Http.GetFromJsonAsync<List<DomainDto>>("/api/domains", ApiClient.Json);
            var domain = Assert.Single(domains!);
            Assert.Equal("watercolour", domain.TargetText);
            Assert.Equal("Full", domain.Kind);             // rows from before compact domains are full ones
            Assert.Null(domain.Scores);
            Assert.Equal(HttpStatusCode.OK, (await old.Http.GetAsync(domain.ThumbnailUrl)).StatusCode);

            // The new schema is there and both migrations are recorded.
            using var check = new SqliteConnection($"Data Source={Path.Combine(data, "nada.db")}");
            check.Open();
            using var cmd = check.CreateCommand();
            cmd.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId";
            var applied = new List<string>();
            using (var r = cmd.ExecuteReader()) while (r.Read()) applied.Add(r.GetString(0));
            Assert.Equal(["Initial", "JobPlatform", "Boxes", "CompactDomains", "PublicDomains", "SharedWithMe"], applied.Select(a => a[(a.IndexOf('_') + 1)..]));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TestPaths.TryDelete(data);
        }
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
