using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;
using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// The whole adaptation flow in Chromium with the real TorchSharp engine on the tiny parity networks (CPU):
/// sign up, submit photo -> sketch, watch the live view to the end, open the domain and sample it by seed.
/// Screenshots go to the artefact folder with a "torch-" prefix.
/// </summary>
public sealed class TorchBrowserTests : IAsyncLifetime
{
    private NadaAppFactory _app = null!;
    private IPlaywright? _playwright;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("torch-browser");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SignUp_Submit_WatchRealTraining_SampleTheDomain()
    {
        var shots = TestPaths.Artifacts();
        _playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(_playwright);
        var page = await NewPageAsync(browser, _app.BaseAddress, 30_000);
        try
        {
            await SignUpAsync(page, $"torch-{Guid.NewGuid():N}@nada.test");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(Input(page, "#generator")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("tiny-stylegan2"));
            await Input(page, "#target-text").FillAsync("sketch");
            await Input(page, "#iterations").FillAsync("6");
            await Input(page, "#iterations").PressAsync("Tab");
            await page.ClickAsync("#submit-job");
            await WaitForAddressAsync(page, "**/jobs/*");

            // The real engine's first preview (step 1) and the final one: a grid of frozen over adapted images.
            var preview = page.Locator("#preview-image");
            await Assertions.Expect(preview).ToBeVisibleAsync(new() { Timeout = 120_000 });
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; }");
            await Assertions.Expect(page.Locator("#domain-link")).ToBeVisibleAsync(new() { Timeout = 180_000 });
            await Assertions.Expect(page.Locator("#job-live")).ToHaveAttributeAsync("data-status", "Succeeded");
            await Assertions.Expect(page.Locator("#loss-chart svg").First).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "torch-01-live-done.png"), FullPage = true });

            await page.ClickAsync("#domain-link");
            await WaitForAddressAsync(page, "**/domains/*");
            await WaitForInteractiveAsync(page);
            await Input(page, "#seeds").FillAsync("1, 2");
            await page.ClickAsync("#sample");
            await Assertions.Expect(page.Locator(".sample-image")).ToHaveCountAsync(2);
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.sample-image')].every(i => i.complete && i.naturalWidth > 0)");
            await Assertions.Expect(page.Locator("#sg3-transform")).ToHaveCountAsync(0);   // translation and rotation are StyleGAN3's only
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "torch-02-domain-samples.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "torch-failure.png"), FullPage = true });
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
