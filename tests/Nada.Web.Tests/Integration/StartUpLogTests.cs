using Nada.Core.Tests;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Integration;

/// <summary>
/// The real app, started as <c>scripts/run.sh</c> starts it (its own process, embedded defaults, the demo networks in
/// the models folder), logs no warning and no error: not on the first start (database created, migrations applied,
/// admin made) and not on the second. A warning at every start teaches people to ignore warnings.
/// </summary>
public sealed class StartUpLogTests
{
    [Fact]
    public async Task FirstAndSecondStart_LogNoWarnings()
    {
        var data = TestPaths.NewTempDir("start-log");
        try
        {
            Directory.CreateDirectory(Path.Combine(data, "models", "generators"));
            Directory.CreateDirectory(Path.Combine(data, "models", "clip"));
            File.Copy(ParityFiles.File("stylegan2_rosinality.pt"), Path.Combine(data, "models", "generators", "tiny-parity-stylegan2-64px.pt"));
            File.Copy(ParityFiles.File("clip_openai_tiny_vit.pt"), Path.Combine(data, "models", "clip", "tiny-parity-clip-vit.pt"));
            foreach (var start in new[] { "first", "second" })
            {
                string log;
                await using (var app = await ServerProcess.StartAsync(data))
                {
                    using (var client = app.NewClient())
                        Assert.True((await client.Http.GetAsync("/health/ready")).IsSuccessStatusCode, $"{start} start not ready:\n{app.Log}");
                    await Task.Delay(1500);   // what start-up logs after the first answer (registry check, recovery sweep)
                    log = app.Log;
                }
                Assert.Contains("Model registry", log);   // the log was read (Information lines of Nada are on)
                var bad = log.Split('\n').Where(l => l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal)
                    || l.Contains("crit:", StringComparison.Ordinal)).ToList();
                Assert.True(bad.Count == 0, $"{start} start logged:\n{string.Join("\n", bad)}\n--- whole log ---\n{log}");
            }
        }
        finally
        {
            TestPaths.TryDelete(data);
        }
    }
}
