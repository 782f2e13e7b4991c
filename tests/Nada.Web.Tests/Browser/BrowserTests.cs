using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;

using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// A person in Debian's Chromium (headless, no browser download): signs up, submits, watches the live view, opens
/// the gallery and a share link signed out. Screenshots go to the artefact folder (NADA_ARTIFACTS).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class BrowserTests(AppFixture fixture) : IDisposable
{
    private readonly List<string> _cleanup = [];

    public void Dispose()
    {
        _playwright?.Dispose();
        _cleanup.ForEach(TestPaths.TryDelete);
    }

    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task SignUp_Submit_WatchLive_Gallery_ShareSignedOut()
    {
        var shots = TestPaths.Artifacts();
        await using var browser = await LaunchChromiumAsync();
        var page = await NewPageAsync(browser, _app.BaseAddress, 20_000);
        try
        {
            await RunAsync(browser, page, shots);
        }
        catch
        {
            // Leave what the page showed when it failed beside the other screenshots.
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "failure.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(shots, "failure.html"), $"<!-- {page.Url} -->\n" + await page.ContentAsync());
            throw;
        }
    }

    private async Task RunAsync(IBrowser browser, IPage page, string shots)
    {
        // Sign up (static form), which lands on the submit page.
        var email = $"browser-{Guid.NewGuid():N}@nada.test";
        await page.GotoAsync("/account/register");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", "User-pass-1");
        await page.FillAsync("#confirm", "User-pass-1");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "01-sign-up.png") });
        await page.ClickAsync("#sign-up");
        await WaitForAddressAsync(page, "**/submit");
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(email);

        // Submit: an invalid form first (same source and target), then a valid one.
        await WaitForInteractiveAsync(page);
        await Input(page, "#target-text").FillAsync("photo");
        await Input(page, "#iterations").FillAsync("60");
        await page.ClickAsync("#submit-job");
        await Assertions.Expect(page.GetByText("Source and target text are the same to CLIP", new() { Exact = false })).ToBeVisibleAsync();
        await Input(page, "#target-text").FillAsync("pencil sketch");

        // A decompression bomb as a style image: refused with a message naming it; then a real image.
        var uploads = TestPaths.NewTempDir("uploads");
        _cleanup.Add(uploads);
        var bomb = Path.Combine(uploads, "bomb.png");
        await File.WriteAllBytesAsync(bomb, TestImages.PngBomb());
        await ChooseFilesAsync(page, "#style-images", bomb);
        await Assertions.Expect(page.Locator("#style-count")).ToContainTextAsync("bomb.png");
        await page.ClickAsync("#submit-job");
        await Assertions.Expect(page.Locator("#style-error")).ToContainTextAsync("100000x100000 pixels");
        var style = Path.Combine(uploads, "style.png");
        await File.WriteAllBytesAsync(style, TestImages.Png(64, 64));
        await ChooseFilesAsync(page, "#style-images", style);
        await Assertions.Expect(page.Locator("#style-count")).ToContainTextAsync("style.png");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "02-submit.png"), FullPage = true });

        // Advanced options: one layer trained per step.
        await page.GetByText("Advanced options").ClickAsync();
        await Input(page, "#opt-k").FillAsync("1");
        await Input(page, "#opt-k").PressAsync("Tab");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "02b-advanced.png"), FullPage = true });
        await page.ClickAsync("#submit-job");
        await WaitForAddressAsync(page, "**/jobs/*");

        // Live view: a preview grid appears and is a real image; losses are charted.
        var preview = page.Locator("#preview-image");
        await Assertions.Expect(preview).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; }");
        await Assertions.Expect(page.Locator("#loss-chart svg").First).ToBeVisibleAsync();
        // The fake engine says it ignores the advanced options: the warning reaches the page live.
        await Assertions.Expect(page.Locator(".job-warning")).ToContainTextAsync("ignores the advanced options");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "03-live.png"), FullPage = true });
        var firstStep = int.Parse((await preview.GetAttributeAsync("data-step"))!);
        await Assertions.Expect(page.Locator("#domain-link")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var lastStep = int.Parse((await preview.GetAttributeAsync("data-step"))!);
        Assert.True(lastStep > firstStep, $"the preview did not update live ({firstStep} -> {lastStep})");
        await Assertions.Expect(page.Locator("#job-live")).ToHaveAttributeAsync("data-status", "Succeeded");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "04-done.png"), FullPage = true });

        // Gallery and domain page: sample by seed, then share.
        await page.GotoAsync("/gallery");
        await Assertions.Expect(page.Locator(".domain-card").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".domain-title").First).ToContainTextAsync("pencil sketch");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "05-gallery.png"), FullPage = true });
        await page.Locator(".domain-card a").First.ClickAsync();
        await WaitForAddressAsync(page, "**/domains/*");
        await WaitForInteractiveAsync(page);
        await Input(page, "#seeds").FillAsync("11, 12, 13");
        await page.ClickAsync("#sample");
        await Assertions.Expect(page.Locator(".sample-image")).ToHaveCountAsync(3);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.sample-image')].every(i => i.complete && i.naturalWidth === 128)");
        await page.ClickAsync("#share");
        var shareInput = Input(page, "#share-link");
        await Assertions.Expect(shareInput).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/s/[A-Za-z0-9_-]{43}$"));
        var shareUrl = await shareInput.InputValueAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "06-domain.png"), FullPage = true });

        // Signed out (a fresh context without cookies), the share link shows the domain and its image.
        var stranger = await browser.NewContextAsync();
        var other = await stranger.NewPageAsync();
        await other.GotoAsync(shareUrl);
        await Assertions.Expect(other.Locator("#shared-banner")).ToBeVisibleAsync();
        await Assertions.Expect(other.Locator("#page-title")).ToContainTextAsync("pencil sketch");
        await other.WaitForFunctionAsync("() => { const i = document.querySelector('#domain-thumbnail'); return i && i.complete && i.naturalWidth > 0; }");
        await Assertions.Expect(other.Locator("a[href='/account/login']").First).ToBeVisibleAsync();
        await other.ScreenshotAsync(new() { Path = Path.Combine(shots, "07-shared-signed-out.png"), FullPage = true });

        // Revoked, the same link shows nothing.
        await page.ClickAsync("#revoke");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();   // the confirmation
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#share")).ToBeVisibleAsync();
        await other.ReloadAsync();
        await Assertions.Expect(other.Locator("#share-not-found")).ToBeVisibleAsync();

        // Sign out: back to the start page, signed out.
        await page.ClickAsync("#sign-out");
        await Assertions.Expect(page.Locator("a[href='/account/login']").First).ToBeVisibleAsync();
        await page.GotoAsync("/gallery");
        await WaitForAddressAsync(page, "**/account/login**");

        // The admin signs in through the form and sees the job in the queue page and the Hangfire dashboard.
        var admin = await NewPageAsync(browser, _app.BaseAddress, 30_000);   // Playwright's default timeout
        await admin.GotoAsync("/admin/queue");
        await WaitForAddressAsync(admin, "**/account/login**");
        await admin.FillAsync("#email", NadaAppFactory.AdminEmail);
        await admin.FillAsync("#password", NadaAppFactory.AdminPassword);
        await admin.ClickAsync("#sign-in");
        await WaitForAddressAsync(admin, "**/admin/queue");
        await Assertions.Expect(admin.Locator(".queue-succeeded")).ToContainTextAsync(email);
        await Assertions.Expect(admin.Locator("#device-status")).ToContainTextAsync("cpu");
        await Assertions.Expect(admin.Locator("#device-status")).ToContainTextAsync("0 of 1");   // no job runs; one slot
        await Assertions.Expect(admin.Locator("#usage-table")).ToContainTextAsync(email);
        await admin.ScreenshotAsync(new() { Path = Path.Combine(shots, "08-admin-queue.png"), FullPage = true });
        var dashboard = await admin.GotoAsync("/hangfire");
        Assert.Equal(200, dashboard!.Status);
        await Assertions.Expect(admin.Locator("body")).ToContainTextAsync("NadaWeb jobs");
    }

    private IPlaywright? _playwright;

    private async Task<IBrowser> LaunchChromiumAsync()
    {
        _playwright = await Playwright.CreateAsync();
        return await BrowserSupport.LaunchChromiumAsync(_playwright);
    }
}
