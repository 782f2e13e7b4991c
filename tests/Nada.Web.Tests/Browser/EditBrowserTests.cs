using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;
using Nada.Web.Tests.Integration;
using static Nada.Web.Tests.Browser.BrowserSupport;

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
        _playwright ??= await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(_playwright);
        var page = await NewPageAsync(browser, fixture.App.BaseAddress, 30_000);
        try
        {
            var email = $"editor-{Guid.NewGuid():N}@nada.test";
            await SignUpAsync(page, email);

            await page.GotoAsync("/edit");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator("#no-edits")).ToBeVisibleAsync();
            // An empty text is a form error.
            await page.ClickAsync("#submit-edit");
            await Assertions.Expect(page.GetByText("Describe the image you want")).ToBeVisibleAsync();
            await Input(page, "#edit-text").FillAsync("a smiling face");
            await Input(page, "#edit-steps").FillAsync("30");
            await Input(page, "#edit-steps").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-01-form.png"), FullPage = true });
            await page.ClickAsync("#submit-edit");
            await WaitForAddressAsync(page, "**/jobs/*");

            // The live image appears and is a real image; the score is charted.
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; }");
            await Assertions.Expect(page.GetByText("Latest image")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-02-live.png"), FullPage = true });

            // The result: before/after strip and the edited image, with downloads.
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#edit-result-image'); return i && i.complete && i.naturalWidth > 0; }",
                null, new() { Timeout = 60_000 });
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#edit-strip'); return i && i.complete && i.naturalWidth > 0; }");
            await Assertions.Expect(page.Locator("#job-live")).ToHaveAttributeAsync("data-status", "Succeeded");
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

    [Fact]
    public async Task Photo_Invert_ThenBlendWithADomain_BySlider()
    {
        var shots = TestPaths.Artifacts();
        _playwright ??= await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(_playwright);
        var page = await NewPageAsync(browser, fixture.App.BaseAddress, 30_000);
        var uploads = TestPaths.NewTempDir("photo");
        try
        {
            await SignUpAsync(page, $"photo-{Guid.NewGuid():N}@nada.test");
            // A gallery domain of the same base model (a short adaptation, through the API with this browser's cookies).
            var adapt = await page.APIRequest.PostAsync("/api/jobs", new()
            {
                DataObject = new { generator = TorchEditApp.Generator, clipModels = new[] { TorchEditApp.Clip }, sourceText = "photo", targetText = "sketch", iterations = 3,
                    options = new { sampleEvery = 3, checkpointEvery = 3, previewSamples = 1 } },
            });
            Assert.Equal(201, adapt.Status);
            var adaptId = (await adapt.JsonAsync())!.Value.GetProperty("id").GetGuid();

            await page.GotoAsync("/photo");
            await WaitForInteractiveAsync(page);
            var photo = Path.Combine(uploads, "me.png");
            await File.WriteAllBytesAsync(photo, TestImages.Png(48, 48));
            await Assertions.Expect(page.Locator("#no-edits")).ToHaveTextAsync("No photos inverted yet.");
            // A file that is not an image is refused as soon as it is chosen, naming it.
            var notAPhoto = Path.Combine(uploads, "notes.png");
            await File.WriteAllTextAsync(notAPhoto, "not a picture");
            await ChooseFilesAsync(page, "#photo-file", notAPhoto);
            await Assertions.Expect(page.Locator("#photo-error")).ToHaveTextAsync("'notes.png' is not an image NadaWeb can read: upload a PNG, JPEG or WebP file.");
            await Assertions.Expect(page.Locator("#photo-chosen")).ToHaveCountAsync(0);
            // The chosen photo is shown before it is uploaded, with its size.
            await ChooseFilesAsync(page, "#photo-file", photo);
            await Assertions.Expect(page.Locator("#photo-chosen-caption")).ToHaveTextAsync("me.png, 48 x 48 px");
            await Assertions.Expect(page.Locator("#photo-error")).ToHaveCountAsync(0);
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#photo-chosen-image'); return i && i.complete && i.naturalWidth === 48; }");
            await Input(page, "#photo-steps").FillAsync("10");
            await Input(page, "#photo-steps").PressAsync("Tab");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-05-photo-upload.png"), FullPage = true });
            await page.ClickAsync("#submit-photo");
            await WaitForAddressAsync(page, "**/jobs/*");
            var inversionId = Guid.Parse(page.Url.Split('/')[^1]);
            await Assertions.Expect(page.Locator("#blend-link")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-06-photo-inverted.png"), FullPage = true });

            for (var i = 0; i < 600; i++)
            {
                var job = await (await page.APIRequest.GetAsync($"/api/jobs/{adaptId}")).JsonAsync();
                if (job!.Value.GetProperty("status").GetString() is "Succeeded" or "Failed") break;
                await Task.Delay(100);
            }
            await page.ClickAsync("#blend-link");
            await WaitForAddressAsync(page, "**/photo?job=*");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator(".domain-check")).ToHaveCountAsync(1);
            await page.WaitForFunctionAsync("() => ['#blend-original', '#blend-source', '#blend-image'].every(s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; })");
            Assert.Contains("alpha=0.5", await page.Locator("#blend-image").GetAttributeAsync("src"));
            // The photo itself beside its reconstruction and the blend, all three at one size.
            Assert.Equal(48, await page.Locator("#blend-original").EvaluateAsync<int>("i => i.naturalWidth"));
            var widths = await page.EvaluateAsync<int[]>("() => ['#blend-original', '#blend-source', '#blend-image'].map(s => document.querySelector(s).clientWidth)");
            Assert.True(widths.Distinct().Count() == 1, $"shown widths {string.Join(", ", widths)}");
            // Past inversions are listed on the photo page, with a way back to blending.
            await Assertions.Expect(page.Locator($".edit-row[data-job='{inversionId}'] a[href='/photo?job={inversionId}']")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-07-blend-half.png"), FullPage = true });

            // Full strength: the slider re-renders the blend on the server.
            await page.Locator("#blend-strength input, input#blend-strength").First.FillAsync("1");
            await Assertions.Expect(page.Locator("#blend-image")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("alpha=1&"));
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#blend-image'); return i && i.complete && i.naturalWidth > 0; }");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-08-blend-full.png"), FullPage = true });

            // At 390 px the page fits the phone.
            await page.SetViewportSizeAsync(390, 844);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the photo page is wider than a phone");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-09-photo-phone.png"), FullPage = true });
            await page.GotoAsync("/photo");
            await Assertions.Expect(page.Locator(".edit-row")).ToHaveCountAsync(1);
            await page.SetViewportSizeAsync(1400, 900);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "edit-photo-failure.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(shots, "edit-photo-failure.html"), $"<!-- {page.Url} -->\n" + await page.ContentAsync());
            throw;
        }
        finally
        {
            TestPaths.TryDelete(uploads);
        }
    }
}
