using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;
using Nada.Web.Tests.Integration;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// A person in Debian's Chromium edits an image by text with the real engine on the tiny networks: signs up, opens
/// /edit, submits, watches the live image and sees the result. Screenshots go to the artefact folder (edit-*.png).
/// </summary>
public sealed class EditBrowserTests(TorchEditApp fixture) : IClassFixture<TorchEditApp>, IDisposable
{
    private IPlaywright? _playwright;

    public void Dispose() => _playwright?.Dispose();

    [Fact]
    public async Task SignUp_EditBySeed_WatchLive_SeeResult()
    {
        var shots = TestPaths.Artifacts();
        await using var browser = await LaunchChromiumAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.App.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        try
        {
            var email = $"editor-{Guid.NewGuid():N}@nada.test";
            await page.GotoAsync("/account/register");
            await page.FillAsync("#email", email);
            await page.FillAsync("#password", "User-pass-1");
            await page.FillAsync("#confirm", "User-pass-1");
            await page.ClickAsync("#sign-up");
            await page.WaitForURLAsync("**/submit", UrlCommitted);

            await page.GotoAsync("/edit");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator("#no-edits")).ToBeVisibleAsync();
            // An empty text is a form error.
            await page.ClickAsync("#submit-edit");
            await Assertions.Expect(page.GetByText("Describe the image you want")).ToBeVisibleAsync();
            await Input(page, "#edit-text").FillAsync("a smiling face");
            await Input(page, "#edit-steps").FillAsync("60");
            await Input(page, "#edit-steps").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-01-form.png"), FullPage = true });
            await page.ClickAsync("#submit-edit");
            await page.WaitForURLAsync("**/jobs/*", UrlCommitted);

            // The live image appears and is a real image; the score is charted.
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; }");
            await Assertions.Expect(page.GetByText("Latest image")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-02-live.png"), FullPage = true });

            // The result: before/after strip and the edited image, with downloads.
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#edit-result-image'); return i && i.complete && i.naturalWidth > 0; }",
                null, new() { Timeout = 60_000 });
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#edit-strip'); return i && i.complete && i.naturalWidth > 0; }");
            Assert.Equal("Succeeded", await page.Locator("#job-live").GetAttributeAsync("data-status"));
            await Assertions.Expect(page.Locator("#edit-scores")).ToContainTextAsync("CLIP score");
            await Assertions.Expect(page.Locator("#loss-chart svg").First).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-03-result.png"), FullPage = true });

            // My edits lists it.
            await page.GotoAsync("/edit");
            await Assertions.Expect(page.Locator(".edit-row")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".edit-row")).ToContainTextAsync("edit: a smiling face");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-04-my-edits.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-failure.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(shots, "edit-failure.html"), $"<!-- {page.Url} -->\n" + await page.ContentAsync());
            throw;
        }
    }

    /// <summary>The input of a MudBlazor field (the id may sit on the input or on its wrapper).</summary>
    private static ILocator Input(IPage page, string id) => page.Locator($"input{id}, {id} input").First;

    /// <summary>Waits until the Blazor circuit is connected, so clicks reach .NET.</summary>
    private static Task WaitForInteractiveAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.Blazor && document.querySelector('.mud-layout') && !document.querySelector('#components-reconnect-modal[open]')")
            .ContinueWith(_ => page.WaitForTimeoutAsync(500)).Unwrap();

    private static readonly PageWaitForURLOptions UrlCommitted = new() { WaitUntil = WaitUntilState.Commit };

    private async Task<IBrowser> LaunchChromiumAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var exe = Environment.GetEnvironmentVariable("NADA_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        if (!File.Exists(exe))
            Assert.Fail($"Chromium not found at {exe}: run the tests through scripts/in-userland.sh (its userland installs Debian's chromium) or set NADA_CHROMIUM.");
        _playwright = await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = exe,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }
}
