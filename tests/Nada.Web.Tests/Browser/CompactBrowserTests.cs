using System.Diagnostics;
using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;
using Xunit.Abstractions;
using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// Compact domains in Chromium with the real engine on the tiny networks: submit one compact job with two targets,
/// both domains reach the gallery with their kind, size and scores; mix them with sliders, save the mix, share it and
/// open the link signed out. Screenshots get a "compact-" prefix.
/// </summary>
public sealed class CompactBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private NadaAppFactory _app = null!;
    private IPlaywright? _playwright;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("compact-browser");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task CompactJobWithTwoTargets_Mix_Save_Share()
    {
        var clock = Stopwatch.StartNew();
        var shots = TestPaths.Artifacts();
        _playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(_playwright);
        var page = await NewPageAsync(browser, _app.BaseAddress, 30_000);
        try
        {
            await SignUpAsync(page, $"compact-{Guid.NewGuid():N}@nada.test");
            await WaitForInteractiveAsync(page);
            await page.GetByText("Compact (small, mixable)").ClickAsync();
            await Assertions.Expect(page.Locator("#add-target")).ToBeVisibleAsync();
            await Input(page, "#target-text").FillAsync("sketch");
            await page.ClickAsync("#add-target");
            await Input(page, "#extra-target-0").FillAsync("oil painting");
            await Input(page, "#iterations").FillAsync("4");
            await Input(page, "#iterations").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-01-submit.png"), FullPage = true });
            await page.ClickAsync("#submit-job");
            await WaitForAddressAsync(page, "**/jobs/*");
            await Assertions.Expect(page.Locator("#job-live")).ToHaveAttributeAsync("data-status", "Succeeded", new() { Timeout = 300_000 });
            output.WriteLine($"job done after {clock.Elapsed.TotalSeconds:0} s");

            await page.GotoAsync("/gallery");
            var cards = page.Locator(".domain-card");
            await Assertions.Expect(cards).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator(".domain-kind[data-kind='Compact']")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator(".domain-scores")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator(".domain-title", new() { HasText = "oil painting" })).ToBeVisibleAsync();
            output.WriteLine("gallery sizes: " + string.Join(", ", await page.Locator(".domain-size").AllInnerTextsAsync()));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-02-gallery.png"), FullPage = true });

            await page.GotoAsync("/mix");
            await WaitForInteractiveAsync(page);
            var checks = page.Locator(".mix-check input");
            await Assertions.Expect(checks).ToHaveCountAsync(2);
            var sliders = page.Locator(".mix-slider input[type=range]");
            // One at a time: each tick re-renders the list with a slider under the domain, moving the next checkbox.
            await checks.Nth(0).CheckAsync();
            await Assertions.Expect(sliders).ToHaveCountAsync(1);
            await checks.Nth(1).CheckAsync();
            await Assertions.Expect(sliders).ToHaveCountAsync(2);
            await sliders.Nth(0).FillAsync("0.5");
            await sliders.Nth(1).FillAsync("1.5");
            await Assertions.Expect(page.Locator("#mix-samples")).ToHaveAttributeAsync("data-query", new System.Text.RegularExpressions.Regex(":0\\.5.*:1\\.5|:1\\.5.*:0\\.5"));
            await page.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('.mix-image')]; return i.length === 4 && i.every(x => x.complete && x.naturalWidth > 0 && x.src.includes(':1.5')); }",
                null, new() { Timeout = 60_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-03-mix.png"), FullPage = true });

            await Input(page, "#mix-name").FillAsync("sketchy paint");
            await page.ClickAsync("#mix-save");
            await WaitForAddressAsync(page, "**/domains/*");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator("#page-title")).ToContainTextAsync("sketchy paint");
            await Assertions.Expect(page.Locator("#mix-recipe")).ToContainTextAsync("0.5");
            await Assertions.Expect(page.Locator("#download-baked")).ToBeVisibleAsync();
            await page.ClickAsync("#share");
            var link = await Input(page, "#share-link").InputValueAsync();
            Assert.Contains("/s/", link);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-04-mix-domain.png"), FullPage = true });

            var anonymous = await NewPageAsync(browser, _app.BaseAddress, 30_000);
            await anonymous.GotoAsync(link);
            await Assertions.Expect(anonymous.Locator("#shared-banner")).ToBeVisibleAsync();
            await Assertions.Expect(anonymous.Locator("#page-title")).ToContainTextAsync("sketchy paint");
            await Assertions.Expect(anonymous.Locator(".domain-kind[data-kind='Compact']")).ToBeVisibleAsync();
            await Assertions.Expect(anonymous.Locator("#download-generator")).ToBeVisibleAsync();
            var small = await anonymous.APIRequest.GetAsync(await anonymous.Locator("#download-generator").GetAttributeAsync("href") ?? "");
            Assert.Equal(200, small.Status);
            await anonymous.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-05-shared-signed-out.png"), FullPage = true });
            output.WriteLine($"browser test took {clock.Elapsed.TotalSeconds:0} s; mix file {(await small.BodyAsync()).Length} B");
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "compact-failure.png"), FullPage = true });
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        _playwright?.Dispose();
        await _app.DisposeAsync();
        TestPaths.TryDelete(_app.DataDir);
    }
}
