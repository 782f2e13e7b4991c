using Microsoft.Playwright;
using Nada.Core.Tests;
using Nada.Web.Tests.Infrastructure;
using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// StyleGAN3 end to end in Chromium with the real TorchSharp engine (CPU, tiny parity networks): an admin uploads
/// NVIDIA's config-T pickle on the models page; a user finds it offered on the submit page, adapts it for a few
/// steps with the tiny CLIP, samples the domain, moves the translation and rotation sliders (the samples re-render and
/// change), opens it by share link signed out with the same controls, and finds the domain in the gallery. Screenshots: "sg3-" prefix in the artefact folder.
/// </summary>
public sealed class Sg3BrowserTests : IAsyncLifetime
{
    private NadaAppFactory _app = null!;
    private IPlaywright? _playwright;

    public Task InitializeAsync()
    {
        _app = NadaAppFactory.TorchOnTinyNetworks("sg3-browser");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _playwright?.Dispose();
        await _app.DisposeAsync();
        TestPaths.TryDelete(_app.DataDir);
    }

    /// <summary>The first sample's address and a checksum of the bytes it serves (fetched again with the page's cookies).</summary>
    private static Task<string> FirstSampleAsync(IPage page) =>
        page.EvaluateAsync<string>("""
            async () => {
                const img = document.querySelector('.sample-image');
                const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
                let h = 0;
                for (const b of bytes) h = (h * 31 + b) >>> 0;
                return img.getAttribute('src') + ' | ' + bytes.length + ' bytes, hash ' + h;
            }
            """);

    private static Task AllSamplesLoadedAsync(IPage page, string srcPart) =>
        page.WaitForFunctionAsync(
            "part => { const imgs = [...document.querySelectorAll('.sample-image')]; return imgs.length > 0 && imgs.every(i => i.getAttribute('src').includes(part) && i.complete && i.naturalWidth > 0); }",
            srcPart, new() { Timeout = 60_000 });

    [Fact]
    public async Task AdminUploadsSg3_UserAdaptsIt_SamplesTranslatedAndRotated_GalleryShowsIt()
    {
        var shots = TestPaths.Artifacts();
        _playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(_playwright);

        // The admin uploads the StyleGAN3 pickle; "a-sg3t" sorts before the tiny StyleGAN2 file, so it is the default choice.
        var admin = await NewPageAsync(browser, _app.BaseAddress, 30_000, width: 1400);
        var page = await NewPageAsync(browser, _app.BaseAddress, 30_000);
        try
        {
            await admin.GotoAsync("/admin/models");
            await WaitForAddressAsync(admin, "**/account/login**");
            await admin.FillAsync("#email", NadaAppFactory.AdminEmail);
            await admin.FillAsync("#password", NadaAppFactory.AdminPassword);
            await admin.ClickAsync("#sign-in");
            await WaitForAddressAsync(admin, "**/admin/models");
            await WaitForInteractiveAsync(admin);
            await Input(admin, "#upload-name").FillAsync("a-sg3t");
            await ChooseFilesAsync(admin, "#upload-file", ParityFiles.File("nvlabs", "sg3t.pkl"));
            await admin.ClickAsync("#upload-button");
            await Assertions.Expect(admin.Locator("#upload-done")).ToContainTextAsync("a-sg3t.safetensors", new() { Timeout = 120_000 });
            await admin.WaitForFunctionAsync("() => { const i = document.querySelector('#upload-preview'); return i && i.complete && i.naturalWidth > 0; }");
            await admin.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-01-admin-upload.png"), FullPage = true });

            // A user (own cookies) sees it offered on the submit page and adapts it for a few steps.
            await SignUpAsync(page, $"sg3-{Guid.NewGuid():N}@nada.test");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(Input(page, "#generator")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("a-sg3t"));
            await Input(page, "#target-text").FillAsync("sketch");
            await Input(page, "#iterations").FillAsync("3");
            await Input(page, "#iterations").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-02-submit.png"), FullPage = true });
            await page.ClickAsync("#submit-job");
            await WaitForAddressAsync(page, "**/jobs/*");
            await Assertions.Expect(page.Locator("#domain-link")).ToBeVisibleAsync(new() { Timeout = 300_000 });
            await Assertions.Expect(page.Locator("#job-live")).ToHaveAttributeAsync("data-status", "Succeeded");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-03-trained.png"), FullPage = true });

            // The domain page samples it; the StyleGAN3 controls move the images, live.
            await page.ClickAsync("#domain-link");
            await WaitForAddressAsync(page, "**/domains/*");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator("#sg3-transform")).ToBeVisibleAsync();
            await Input(page, "#seeds").FillAsync("1, 2");
            await page.ClickAsync("#sample");
            await Assertions.Expect(page.Locator(".sample-image")).ToHaveCountAsync(2);
            await AllSamplesLoadedAsync(page, "psi=");
            var plain = await FirstSampleAsync(page);
            Assert.DoesNotContain("tx=", plain);

            await Input(page, "#translate-x").FillAsync("0.25");
            await AllSamplesLoadedAsync(page, "tx=0.25&ty=0&rot=0");
            var translated = await FirstSampleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-04-translated.png"), FullPage = true });

            await Input(page, "#rotate").FillAsync("45");
            await AllSamplesLoadedAsync(page, "tx=0.25&ty=0&rot=45");
            var rotated = await FirstSampleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-05-translated-rotated.png"), FullPage = true });

            string Bytes(string s) => s[(s.IndexOf(" | ", StringComparison.Ordinal) + 3)..];
            Assert.NotEqual(Bytes(plain), Bytes(translated));
            Assert.NotEqual(Bytes(translated), Bytes(rotated));

            await page.ClickAsync("#reset-transform");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.sample-image')].every(i => !i.getAttribute('src').includes('tx='))");
            await AllSamplesLoadedAsync(page, "psi=");
            Assert.Equal(Bytes(plain), Bytes(await FirstSampleAsync(page)));

            // A share link opens it signed out, with the same controls (file links carry the token).
            await page.ClickAsync("#share");
            var shareUrl = await Input(page, "#share-link").InputValueAsync();
            var stranger = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
            var other = await stranger.NewPageAsync();
            other.SetDefaultTimeout(30_000);
            await other.GotoAsync(shareUrl);
            await Assertions.Expect(other.Locator("#shared-banner")).ToBeVisibleAsync();
            await WaitForInteractiveAsync(other);
            await Input(other, "#seeds").FillAsync("1");
            await other.ClickAsync("#sample");
            await Input(other, "#translate-y").FillAsync("-0.2");
            await AllSamplesLoadedAsync(other, "tx=0&ty=-0.2&rot=0");
            Assert.Contains("share=", await other.Locator(".sample-image").First.GetAttributeAsync("src"));
            await other.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-06-shared-translated.png"), FullPage = true });
            await stranger.CloseAsync();

            // The gallery lists it, made from the uploaded StyleGAN3 generator.
            await page.GotoAsync("/gallery");
            await Assertions.Expect(page.Locator(".domain-card")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".domain-title").First).ToContainTextAsync("sketch");
            await Assertions.Expect(page.Locator(".domain-card").First).ToContainTextAsync("a-sg3t");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.nada-thumb')].every(i => i.complete && i.naturalWidth > 0)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-07-gallery.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-failure.png"), FullPage = true });
            await admin.ScreenshotAsync(new() { Path = Path.Combine(shots, "sg3-failure-admin.png"), FullPage = true });
            throw;
        }
    }
}
