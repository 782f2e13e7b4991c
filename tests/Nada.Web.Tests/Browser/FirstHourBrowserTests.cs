using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Nada.Web.Tests.Infrastructure;

using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// The first hour of a new user in Chromium: a prompt example, a job that tells its speed and time, its previews in a
/// filmstrip, "train again", seed ranges, copying and keeping a share link, deleting a domain and a job (files gone,
/// share link dead); then a walk of every main page at 390 px, and the dashboard's friendly refusals.
/// Screenshots (desktop 1400 px, phone 390 px) go to the artefact folder (NADA_ARTIFACTS), named first-hour-*.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FirstHourBrowserTests(AppFixture fixture) : IDisposable
{
    private readonly NadaAppFactory _app = fixture.App;
    private IPlaywright? _playwright;

    public void Dispose() => _playwright?.Dispose();

    private async Task<IBrowser> LaunchAsync()
    {
        _playwright = await Playwright.CreateAsync();
        return await LaunchChromiumAsync(_playwright);
    }

    [Fact]
    public async Task Example_LiveTiming_Filmstrip_TrainAgain_SeedRanges_Share_Delete()
    {
        var shots = TestPaths.Artifacts();
        await using var browser = await LaunchAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _app.BaseAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 },
            Permissions = ["clipboard-read", "clipboard-write"],
            TimezoneId = "Asia/Kolkata",   // UTC+05:30 all year: times on the pages must follow it
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        try
        {
            await RunAsync(page, shots);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-failure.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(shots, "first-hour-failure.html"), $"<!-- {page.Url} -->\n" + await page.ContentAsync());
            throw;
        }
    }

    private async Task RunAsync(IPage page, string shots)
    {
        await SignUpAsync(page, $"first-{Guid.NewGuid():N}@nada.test");
        await WaitForInteractiveAsync(page);

        // A prompt example fills both texts in one click.
        await page.Locator(".prompt-example[data-source='dog'][data-target='cat']").ClickAsync();
        await Assertions.Expect(Input(page, "#source-text")).ToHaveValueAsync("dog");
        await Assertions.Expect(Input(page, "#target-text")).ToHaveValueAsync("cat");
        await Input(page, "#iterations").FillAsync("60");
        await Input(page, "#iterations").PressAsync("Tab");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-01-submit-examples.png"), FullPage = true });
        await page.ClickAsync("#submit-job");
        await WaitForAddressAsync(page, "**/jobs/*");
        var jobId = Guid.Parse(page.Url.Split('/')[^1]);

        // While it runs: elapsed time, speed and time left.
        await Assertions.Expect(page.Locator("#job-timing")).ToContainTextAsync(new Regex(@"Elapsed .* steps/s · about .* left"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-02-live.png"), FullPage = true });

        // Done: the duration, and every preview in the filmstrip, as many as the run folder holds.
        await Assertions.Expect(page.Locator("#domain-link")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#job-duration")).ToContainTextAsync(new Regex(@"^Took \d"));
        var samples = Path.Combine(_app.DataDir, "runs", jobId.ToString("N"), "samples");
        var onDisk = Directory.GetFiles(samples, "step-*.png").Length;
        Assert.Equal(20, onDisk);   // 60 steps, a preview every 3 (the fake engine's setting here)
        await Assertions.Expect(page.Locator("#preview-caption")).ToHaveAttributeAsync("data-count", onDisk.ToString());
        await Assertions.Expect(page.Locator(".filmstrip-frame")).ToHaveCountAsync(onDisk);
        await Assertions.Expect(page.Locator("#preview-image")).ToHaveAttributeAsync("data-step", "60");
        Assert.Equal(48, await page.Locator(".filmstrip-frame[data-step='9'] img").EvaluateAsync<int>("i => i.clientHeight"));
        await page.Locator(".filmstrip-frame[data-step='9']").ClickAsync();
        await Assertions.Expect(page.Locator("#preview-image")).ToHaveAttributeAsync("data-step", "9");
        await Assertions.Expect(page.Locator("#preview-caption")).ToContainTextAsync("3 of 20");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#preview-image'); return i && i.complete && i.naturalWidth > 0; }");
        // The image is shown at most at its own size (never blown up).
        var sizes = await page.EvaluateAsync<int[]>("() => { const i = document.querySelector('#preview-image'); return [i.clientWidth, i.naturalWidth]; }");
        Assert.True(sizes[0] <= sizes[1], $"preview shown {sizes[0]} px wide, its own width is {sizes[1]} px");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-03-done-filmstrip.png"), FullPage = true });
        // After a reload (history read back from the run folder) the count is the same.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#preview-caption")).ToHaveAttributeAsync("data-count", onDisk.ToString());
        await Assertions.Expect(page.Locator("#preview-caption")).ToContainTextAsync("20 of 20");
        await Assertions.Expect(page.Locator("#preview-caption")).Not.ToContainTextAsync("so far");

        // My jobs shows how long it took, and when it was submitted in the viewer's time zone (not UTC).
        await page.GotoAsync("/jobs");
        await Assertions.Expect(page.Locator(".job-took").First).ToContainTextAsync(new Regex(@"\d+(\.\d)? s"));
        var submitted = page.Locator("time.nada-time").First;
        await Assertions.Expect(submitted).ToHaveAttributeAsync("data-local", "1");
        var utc = DateTimeOffset.Parse((await submitted.GetAttributeAsync("datetime"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(utc.ToOffset(TimeSpan.FromHours(5.5)).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), await submitted.TextContentAsync());

        // Train again from the job: the form comes back filled.
        await page.GotoAsync($"/jobs/{jobId}");
        await WaitForInteractiveAsync(page);
        await page.ClickAsync("#train-again");
        await WaitForAddressAsync(page, new Regex($@"/submit\?job={jobId}$"));
        await Assertions.Expect(page.Locator("#rerun-note")).ToContainTextAsync("dog");
        await Assertions.Expect(Input(page, "#source-text")).ToHaveValueAsync("dog");
        await Assertions.Expect(Input(page, "#target-text")).ToHaveValueAsync("cat");
        await Assertions.Expect(Input(page, "#iterations")).ToHaveValueAsync("60");

        // The domain page: seed ranges as the CLI takes them, and messages for wrong ones.
        await page.GotoAsync($"/jobs/{jobId}");
        var domainHref = await page.Locator("#domain-link").GetAttributeAsync("href");
        var domainId = Guid.Parse(domainHref!.Split('/')[^1]);
        await page.GotoAsync(domainHref);
        await WaitForInteractiveAsync(page);
        await Input(page, "#seeds").FillAsync("1-3,7");
        await page.ClickAsync("#sample");
        await Assertions.Expect(page.Locator(".sample-image")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("#samples")).ToContainTextAsync("seed 7");
        // The shown seeds in one zip: the link asks for exactly those, and the download is a zip of their PNGs.
        await Assertions.Expect(page.Locator("#download-samples")).ToContainTextAsync("Download these 4 as a zip");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-samples"));
        Assert.Matches(@"^nada-cat-[0-9a-f]{8}-samples\.zip$", download.SuggestedFilename);
        using (var zip = new System.IO.Compression.ZipArchive(File.OpenRead((await download.PathAsync())!)))
            Assert.Equal(["seed1.png", "seed2.png", "seed3.png", "seed7.png", "about.txt"], zip.Entries.Select(e => e.FullName.Split('-')[^1]));
        await Input(page, "#seeds").FillAsync("2147483648");
        await page.ClickAsync("#sample");
        await Assertions.Expect(page.Locator("#sample-error")).ToHaveTextAsync("'2147483648' is too large: a seed is at most 2147483647.");
        await Input(page, "#seeds").FillAsync("5-2");
        await page.ClickAsync("#sample");
        await Assertions.Expect(page.Locator("#sample-error")).ToContainTextAsync("runs backwards");
        await Input(page, "#seeds").FillAsync("0-20");
        await page.ClickAsync("#sample");
        await Assertions.Expect(page.Locator("#sample-error")).ToHaveTextAsync("'0-20' makes 21 seeds; at most 8 at once.");

        // Train again from the domain.
        await Assertions.Expect(page.Locator("#train-again")).ToHaveAttributeAsync("href", $"/submit?domain={domainId}");

        // Share: copy the link; revoking asks first, and "Keep it" keeps it.
        await page.ClickAsync("#share");
        var shareInput = Input(page, "#share-link");
        await Assertions.Expect(shareInput).ToHaveValueAsync(new Regex("/s/[A-Za-z0-9_-]{43}$"));
        var shareUrl = await shareInput.InputValueAsync();
        await page.ClickAsync("#copy-share");
        await Assertions.Expect(page.GetByText("Share link copied.")).ToBeVisibleAsync();
        Assert.Equal(shareUrl, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ClickAsync("#revoke");
        await Assertions.Expect(page.GetByText("Revoke the share link?")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-04-revoke-confirm.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep it", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("Revoke the share link?")).ToHaveCountAsync(0);
        await Assertions.Expect(shareInput).ToHaveValueAsync(shareUrl);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-05-domain.png"), FullPage = true });

        // Explore: made public from the domain page, it is on the home page for anyone and on /explore for another user;
        // taken out again, it is gone.
        var publicToken = shareUrl.Split('/')[^1];
        await page.GetByText("Show in Explore").ClickAsync();
        await Assertions.Expect(page.GetByText("In Explore: everyone sees it now.")).ToBeVisibleAsync();
        var visitorContext = await page.Context.Browser!.NewContextAsync(new() { BaseURL = _app.BaseAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        var visitor = await visitorContext.NewPageAsync();
        visitor.SetDefaultTimeout(20_000);
        await visitor.GotoAsync("/");
        await Assertions.Expect(visitor.Locator($"#home-explore a.explore-open[href='/s/{publicToken}']")).ToBeVisibleAsync();
        await SignUpAsync(visitor, $"visitor-{Guid.NewGuid():N}@nada.test");
        await visitor.GotoAsync("/explore");
        var card = visitor.Locator(".explore-card", new() { Has = visitor.Locator($"a.explore-open[href='/s/{publicToken}']") });
        await Assertions.Expect(card.Locator(".explore-title")).ToContainTextAsync("dog");
        await Assertions.Expect(card.Locator(".explore-title")).ToContainTextAsync("cat");
        await visitor.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-06-explore.png"), FullPage = true });
        await page.GetByText("Show in Explore").ClickAsync();
        await Assertions.Expect(page.GetByText("Taken out of Explore; the share link still works.")).ToBeVisibleAsync();
        await visitor.GotoAsync("/explore");
        await Assertions.Expect(visitor.Locator("#page-title")).ToHaveTextAsync("Explore");
        await Assertions.Expect(visitor.Locator($"a.explore-open[href='/s/{publicToken}']")).ToHaveCountAsync(0);

        // Shared with me: the other user opens the link signed in; it is in their gallery and on their compare page.
        await visitor.GotoAsync($"/s/{publicToken}");
        await Assertions.Expect(visitor.Locator("#shared-banner")).ToContainTextAsync("Shared with me");
        await visitor.GotoAsync("/gallery");
        await Assertions.Expect(visitor.Locator($"#gallery-shared a.explore-open[href='/s/{publicToken}']")).ToBeVisibleAsync();
        await visitor.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-09-shared-with-me.png"), FullPage = true });
        await visitor.GotoAsync("/compare");
        await WaitForInteractiveAsync(visitor);
        await visitor.Locator("#compare-choose").ClickAsync();
        var choice = visitor.Locator(".compare-choice", new() { HasText = "dog → cat" });
        await Assertions.Expect(choice).ToContainTextAsync("shared with me");
        await choice.Locator("input").CheckAsync();
        await Assertions.Expect(visitor.Locator($"tr.compare-domain-row[data-domain='{domainId}'] img.compare-image")).ToHaveCountAsync(4);
        await visitor.WaitForFunctionAsync("() => [...document.querySelectorAll('img.compare-image')].every(i => i.complete && i.naturalWidth > 0)");
        await visitor.SetViewportSizeAsync(390, 844);
        await AssertFitsAsync(visitor, "compare page");
        await visitor.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-phone-compare.png"), FullPage = true });
        await visitor.GotoAsync("/gallery");
        await WaitForInteractiveAsync(visitor);   // the forget button works only once the page is interactive
        await visitor.Locator($".shared-item:has(a.explore-open[href='/s/{publicToken}']) .shared-forget").ClickAsync();
        await Assertions.Expect(visitor.Locator("#shared-empty")).ToBeVisibleAsync();
        await visitorContext.CloseAsync();

        // Compare: the base generator and the domain on the same seeds, one row each.
        await page.ClickAsync("#compare-domain");
        await WaitForAddressAsync(page, "**/compare?d=*");
        await Assertions.Expect(page.Locator("tr.compare-base-row img.compare-image")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("tr.compare-domain-row img.compare-image")).ToHaveCountAsync(4);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img.compare-image')].every(i => i.complete && i.naturalWidth > 0)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-07-compare.png"), FullPage = true });
        await page.GotoAsync(domainHref);
        await WaitForInteractiveAsync(page);

        // Phone width on the job and domain pages: nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await AssertFitsAsync(page, "domain page");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-phone-domain.png"), FullPage = true });
        await page.GotoAsync($"/jobs/{jobId}");
        await WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#preview-image")).ToBeVisibleAsync();
        await AssertFitsAsync(page, "job page");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-phone-job.png"), FullPage = true });
        await page.SetViewportSizeAsync(1400, 900);

        // Delete the domain (after a confirmation): its folder goes, and so does its share link.
        var domainDir = Path.Combine(_app.DataDir, "domains", domainId.ToString("N"));
        Assert.True(Directory.Exists(domainDir), $"no domain folder at {domainDir}");
        await page.GotoAsync(domainHref);
        await WaitForInteractiveAsync(page);
        await page.ClickAsync("#delete-domain");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await WaitForAddressAsync(page, "**/gallery");
        Assert.False(Directory.Exists(domainDir), "the domain folder is still there");
        using (var anonymous = _app.NewClient())
        {
            var token = shareUrl.Split('/')[^1];
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/api/share/{token}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.Http.GetAsync($"/files/domains/{domainId}/thumbnail?share={token}")).StatusCode);
        }
        await page.GotoAsync(shareUrl);
        await Assertions.Expect(page.Locator("#share-not-found")).ToBeVisibleAsync();

        // Delete the job: its run folder goes; the page then finds nothing.
        var runDir = Path.Combine(_app.DataDir, "runs", jobId.ToString("N"));
        await page.GotoAsync($"/jobs/{jobId}");
        await WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#domain-link")).ToHaveCountAsync(0);   // the domain is gone
        await page.ClickAsync("#delete-job");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await WaitForAddressAsync(page, "**/jobs");
        Assert.False(Directory.Exists(runDir), "the run folder is still there");
        await page.GotoAsync($"/jobs/{jobId}");
        await Assertions.Expect(page.Locator("#job-not-found")).ToBeVisibleAsync();
    }

    /// <summary>Every main page at 390 px: the menu reaches every link, and nothing is wider than the screen.</summary>
    [Fact]
    public async Task PhoneWidth_MenuReachesEveryLink_AndNoPageOverflows()
    {
        var shots = TestPaths.Artifacts();
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, _app.BaseAddress, 20_000, width: 390);
        try
        {
            // Signed out, the dashboard sends a browser to sign in and back.
            await page.GotoAsync("/hangfire");
            await WaitForAddressAsync(page, new Regex(@"/account/login\?returnUrl=%2Fhangfire$"));
            await AssertFitsAsync(page, "/account/login");
            await page.FillAsync("#email", NadaAppFactory.AdminEmail);
            await page.FillAsync("#password", NadaAppFactory.AdminPassword);
            await page.ClickAsync("#sign-in");
            await WaitForAddressAsync(page, "**/hangfire");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("NadaWeb jobs");

            // The admin models page (the full registry) fits 1400 px: no horizontal scrolling, each name on one line.
            await page.SetViewportSizeAsync(1400, 900);
            await page.GotoAsync("/admin/models");
            await WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator(".model-row").First).ToBeVisibleAsync();
            await AssertFitsAsync(page, "/admin/models at 1400 px");
            var table = await page.EvaluateAsync<int[]>("() => { const t = document.querySelector('.models-table table'); const c = t.parentElement; return [c.scrollWidth, c.clientWidth, document.querySelectorAll('.model-row').length]; }");
            Assert.True(table[0] <= table[1], $"the models table scrolls: {table[0]} px wide in {table[1]} px");
            Assert.True(table[2] >= 20, $"{table[2]} models listed");
            var wrapped = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('.model-name b')].filter(b => b.getClientRects().length > 1 || b.getBoundingClientRect().height > 30).map(b => b.textContent)");
            Assert.True(wrapped.Length == 0, "names over several lines: " + string.Join("; ", wrapped));
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-08-admin-models.png") });
            await page.SetViewportSizeAsync(390, 844);

            string[] expected = ["/submit", "/edit", "/photo", "/jobs", "/gallery", "/mix", "/explore", "/admin/queue", "/admin/models", "/admin/users"];
            foreach (var path in new[] { "/" }.Concat(expected))
            {
                await page.GotoAsync(path);
                await WaitForInteractiveAsync(page);
                await Assertions.Expect(page.Locator("#nav-bar")).ToBeHiddenAsync();
                await AssertFitsAsync(page, path);
                if (path is "/" or "/submit" or "/photo" or "/jobs" or "/gallery" or "/mix" or "/explore" or "/admin/queue" or "/admin/models")
                    await page.ScreenshotAsync(new() { Path = Path.Combine(shots, $"first-hour-phone{(path == "/" ? "-home" : path.Replace('/', '-'))}.png"), FullPage = true });

                await page.Locator("#nav-menu button").First.ClickAsync();
                var links = page.Locator("#nav-menu-list a");
                await Assertions.Expect(links).ToHaveCountAsync(expected.Length);
                var hrefs = await links.EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('href'))");
                Assert.Equal(expected, hrefs);
                await Assertions.Expect(page.Locator("#nav-menu-sign-out")).ToBeVisibleAsync();
                await AssertFitsAsync(page, path + " with the menu open");
                if (path == "/submit")
                {
                    // The popover fades in: shoot once it is opaque.
                    await page.WaitForFunctionAsync("() => { const p = document.querySelector('#nav-menu-list')?.closest('.mud-popover'); return p && getComputedStyle(p).opacity === '1'; }");
                    await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-phone-menu.png") });
                }
                await CloseMenuAsync(page);
            }

            // A link of the menu works (client-side navigation), and sign-out is in the menu too.
            await page.Locator("#nav-menu button").First.ClickAsync();
            await page.Locator("#nav-menu-list a[href='/gallery']").ClickAsync();
            await WaitForAddressAsync(page, "**/gallery");
            await Assertions.Expect(page.Locator("#page-title")).ToContainTextAsync("domains");
            await page.Locator("#nav-menu button").First.ClickAsync();
            await page.ClickAsync("#nav-menu-sign-out");
            await Assertions.Expect(page.Locator("a[href='/account/login']").First).ToBeVisibleAsync();

            // Signed in without the Admin role, the dashboard answers with the "not allowed" page.
            await SignUpAsync(page, $"phone-{Guid.NewGuid():N}@nada.test");
            await page.GotoAsync("/hangfire");
            await WaitForAddressAsync(page, "**/account/denied");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("You are not allowed to see that page.");
            // ... the same page /admin/queue answers with.
            await page.GotoAsync("/admin/queue");
            await WaitForAddressAsync(page, "**/account/denied?ReturnUrl=%2Fadmin%2Fqueue");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("You are not allowed to see that page.");
            // A user's menu has no admin links.
            await page.GotoAsync("/gallery");
            await WaitForInteractiveAsync(page);
            await page.Locator("#nav-menu button").First.ClickAsync();
            await Assertions.Expect(page.Locator("#nav-menu-list a")).ToHaveCountAsync(7);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "first-hour-phone-failure.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(shots, "first-hour-phone-failure.html"), $"<!-- {page.Url} -->\n" + await page.ContentAsync());
            throw;
        }
    }

    private static async Task CloseMenuAsync(IPage page)
    {
        await page.Keyboard.PressAsync("Escape");
        try { await Assertions.Expect(page.Locator("#nav-menu-list")).ToBeHiddenAsync(new() { Timeout = 2_000 }); }
        catch (Exception)
        {
            await page.Mouse.ClickAsync(5, 700);   // outside the menu: its overlay closes it
            await Assertions.Expect(page.Locator("#nav-menu-list")).ToBeHiddenAsync();
        }
    }

    /// <summary>Fails naming the page and the widest element when anything is wider than the viewport.</summary>
    private static async Task AssertFitsAsync(IPage page, string what)
    {
        var r = await page.EvaluateAsync<string[]>(@"() => {
            const w = window.innerWidth, sw = document.documentElement.scrollWidth;
            let widest = '';
            if (sw > w) for (const e of document.querySelectorAll('body *')) {
                const b = e.getBoundingClientRect();
                if (b.right > w + 1) { widest = e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' right=' + Math.round(b.right); }
            }
            return [String(sw), String(w), widest];
        }");
        Assert.True(int.Parse(r[0]) <= int.Parse(r[1]), $"{what}: scrollWidth {r[0]} > innerWidth {r[1]} ({r[2]})");
    }
}
