using Nada.Web.Data;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>On a shared box, what the app writes is private to its user: database 600, data folders 700, job files 600.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileModeTests
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task DataFilesAndFolders_ArePrivate_AlsoThoseOfAnOlderInstallation()
    {
        var data = TestPaths.NewTempDir("modes");
        try
        {
            // An older installation's world-readable leftovers.
            Directory.CreateDirectory(Path.Combine(data, "uploads"));
            File.SetUnixFileMode(Path.Combine(data, "uploads"), (UnixFileMode)Convert.ToInt32("755", 8));
            await File.WriteAllTextAsync(Path.Combine(data, "notes.txt"), "x");
            File.SetUnixFileMode(Path.Combine(data, "notes.txt"), (UnixFileMode)Convert.ToInt32("644", 8));

            await using var app = new NadaAppFactory(data);
            using var user = await app.NewUserAsync("modes");
            var id = await user.SubmitAsync(ApiClient.Job(iterations: 3, images: [new Api.StyleImageDto("s.png", Convert.ToBase64String(TestImages.Png(16, 16)))], target: "sketch"));
            var done = await user.WaitForStatusAsync(id, JobStatus.Succeeded);

            var run = Path.Combine(data, "runs", id.ToString("N"));
            string[] paths =
            [
                data, Path.Combine(data, "nada.db"), Path.Combine(data, "runs"), run, Path.Combine(run, "inputs"),
                Path.Combine(run, "inputs", "style-0.png"), Path.Combine(run, "history.jsonl"), Path.Combine(data, "domains"),
                Path.Combine(data, "domains", done.DomainId!.Value.ToString("N")), Path.Combine(data, "uploads"), Path.Combine(data, "notes.txt"),
            ];
            foreach (var p in paths)
            {
                var mode = File.GetUnixFileMode(p);
                Assert.True((mode & GroupOrOther) == 0, $"{p} is {Convert.ToString((int)mode, 8)}");
            }
        }
        finally
        {
            TestPaths.TryDelete(data);
        }
    }
}
