using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Nada.Web.Tests.Browser;

/// <summary>Launching Debian's Chromium (no browser download) and the waits the Blazor pages need.</summary>
internal static class BrowserSupport
{
    /// <summary>
    /// Waits until the page's address matches <paramref name="glob"/> (Playwright's URL glob: <c>**</c> any characters,
    /// <c>*</c> any but '/', everything else literal), by polling the address as an expectation does. Not
    /// <c>WaitForURLAsync</c>: it checks the address, then subscribes to navigation events, and an event delivered
    /// between the two is lost (playwright-dotnet issue 3364), so a job page reached by Blazor's client-side navigation
    /// timed out after 30 s with the page on screen. Only the address is awaited: Blazor patches pages without a new
    /// "load" event (enhanced navigation).
    /// </summary>
    public static Task WaitForAddressAsync(IPage page, string glob, float timeoutMs = 30_000) =>
        WaitForAddressAsync(page, GlobPattern(glob), timeoutMs);

    /// <summary>Waits until the page's address matches <paramref name="pattern"/> (see the glob overload).</summary>
    public static Task WaitForAddressAsync(IPage page, Regex pattern, float timeoutMs = 30_000) =>
        Assertions.Expect(page).ToHaveURLAsync(pattern, new PageAssertionsToHaveURLOptions { Timeout = timeoutMs });

    /// <summary>A URL glob as an anchored regular expression.</summary>
    private static Regex GlobPattern(string glob)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            if (glob[i] != '*') sb.Append(Regex.Escape(glob[i].ToString()));
            else if (i + 1 < glob.Length && glob[i + 1] == '*') { sb.Append(".*"); i++; }
            else sb.Append("[^/]*");
        }
        return new Regex(sb.Append('$').ToString());
    }

    /// <summary>The input of a MudBlazor field (the id may sit on the input or on its wrapper).</summary>
    public static ILocator Input(IPage page, string id) => page.Locator($"input{id}, {id} input").First;

    /// <summary>
    /// Chooses files in a Blazor <c>InputFile</c> once its script listens: the component attaches its change listener by
    /// a JS call made after its first render reaches the browser, so on a busy machine files chosen right after the
    /// page turns interactive raised a change nobody heard and the page never saw them (the upload button stayed
    /// disabled). The script marks the element when it attaches; this waits for that mark.
    /// </summary>
    public static async Task ChooseFilesAsync(IPage page, string selector, string file)
    {
        await page.WaitForFunctionAsync("s => { const e = document.querySelector(s); return e !== null && e._blazorInputFileNextFileId !== undefined; }",
            selector, new PageWaitForFunctionOptions { Timeout = 60_000 });
        await page.SetInputFilesAsync(selector, file);
    }

    /// <summary>
    /// Waits until the page runs interactively: the layout renders a marker only in its interactive render, so once it
    /// is in the DOM, inputs and clicks reach .NET (no fixed sleep).
    /// </summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.Blazor && document.querySelector('#nada-interactive') && !document.querySelector('#components-reconnect-modal[open]')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });

    /// <summary>Headless Chromium from /usr/bin/chromium (or NADA_CHROMIUM); fails clearly when it is missing.</summary>
    public static async Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        // Every page change goes through the server (Blazor Server): on a busy 2-core CI machine a click's round trip
        // can pass Playwright's 5 s default for expectations, so they get the same 20 s the pages' actions get.
        Assertions.SetDefaultExpectTimeout(20_000);
        var exe = Environment.GetEnvironmentVariable("NADA_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        if (!File.Exists(exe))
            Assert.Fail($"Chromium not found at {exe}: run the tests through scripts/in-userland.sh (its userland installs Debian's chromium) or set NADA_CHROMIUM.");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = exe,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A fresh page in a new context on the app's address, with the given default timeout.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, Uri baseAddress, float timeoutMs, int width = 1280)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = width, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(timeoutMs);
        return page;
    }

    /// <summary>Signs up through the static form (password User-pass-1) and waits for the submit page it lands on.</summary>
    public static async Task SignUpAsync(IPage page, string email)
    {
        await page.GotoAsync("/account/register");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", "User-pass-1");
        await page.FillAsync("#confirm", "User-pass-1");
        await page.ClickAsync("#sign-up");
        await WaitForAddressAsync(page, "**/submit");
    }
}
