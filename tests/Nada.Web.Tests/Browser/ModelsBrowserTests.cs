using Microsoft.Playwright;
using Nada.Core.Tests;
using Nada.Core.Tests.Models;
using Nada.Web.Tests.Infrastructure;
using Nada.Web.Tests.Models;

using static Nada.Web.Tests.Browser.BrowserSupport;

namespace Nada.Web.Tests.Browser;

/// <summary>
/// The admin models page in Debian's Chromium: a download started from the page shows progress and ends "present"
/// without a reload; a generator upload shows its preview grid; a refused upload shows the reader's reason.
/// </summary>
public sealed class ModelsBrowserTests : IAsyncLifetime
{
    private readonly TestHttpServer _server = new();
    private readonly byte[] _gen = ModelTestRegistry.Bytes(400_000, 11);
    private string _dir = null!;
    private NadaAppFactory _app = null!;
    private IPlaywright? _playwright;

    public Task InitializeAsync()
    {
        _dir = TestPaths.NewTempDir("models-browser");
        _server.Serve("/gen.pkl", _gen).Delay = TimeSpan.FromSeconds(1.5); // long enough to see it downloading
        string registry = ModelTestRegistry.Write(_dir,
            [new("browser-gen", "StyleGAN2", "browser-gen.pkl", _server.Url("/gen.pkl"), ModelTestRegistry.Sha256(_gen))]);
        _app = new NadaAppFactory(Path.Combine(_dir, "app"), new Dictionary<string, string> { ["Models:RegistryFile"] = registry });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _playwright?.Dispose();
        await _app.DisposeAsync();
        await _server.DisposeAsync();
        TestPaths.TryDelete(_dir);
    }

    [Fact]
    public async Task AdminDownloadsAndUploadsFromThePage()
    {
        var shots = TestPaths.Artifacts();
        _playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(_playwright);
        var page = await NewPageAsync(browser, _app.BaseAddress, 20_000, width: 1400);
        try
        {
            await page.GotoAsync("/admin/models");
            await WaitForAddressAsync(page, "**/account/login**");
            await page.FillAsync("#email", NadaAppFactory.AdminEmail);
            await page.FillAsync("#password", NadaAppFactory.AdminPassword);
            await page.ClickAsync("#sign-in");
            await WaitForAddressAsync(page, "**/admin/models");
            await page.WaitForFunctionAsync("() => window.Blazor && document.querySelector('.mud-layout')");
            await page.WaitForTimeoutAsync(500);

            var row = page.Locator("#model-browser-gen");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "missing");
            await row.Locator(".download-button").ClickAsync();
            await Assertions.Expect(row.Locator(".progress-text")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "models-01-downloading.png"), FullPage = true });
            await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "present");
            await row.Locator(".verify-button").ClickAsync();
            await Assertions.Expect(row.Locator(".verification")).ToContainTextAsync("ok: SHA-256");

            // Upload a parity generator: converted, previewed.
            await page.Locator("input#upload-name, #upload-name input").First.FillAsync("browser-upload");
            await ChooseFilesAsync(page, "#upload-file", ParityFiles.File("stylegan2_rosinality.pt"));
            await page.ClickAsync("#upload-button");
            await Assertions.Expect(page.Locator("#upload-done")).ToContainTextAsync("browser-upload.safetensors");
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('#upload-preview'); return i && i.complete && i.naturalWidth > 0; }");
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "models-02-uploaded.png"), FullPage = true });

            // A StyleGAN3 pickle converts too; a file that is no generator is refused with the reader's reason.
            await page.Locator("input#upload-name, #upload-name input").First.FillAsync("browser-sg3");
            await ChooseFilesAsync(page, "#upload-file", ParityFiles.File("nvlabs", "sg3t.pkl"));
            await page.ClickAsync("#upload-button");
            // Conversion renders a preview grid through the SG3 synthesis on the CPU: allow for a busy machine.
            await Assertions.Expect(page.Locator("#upload-done")).ToContainTextAsync("browser-sg3.safetensors", new() { Timeout = 90_000 });
            Assert.True(File.Exists(Path.Combine(_app.DataDir, "models", "generators", "browser-sg3.safetensors")));
            await page.Locator("input#upload-name, #upload-name input").First.FillAsync("browser-notes");
            await ChooseFilesAsync(page, "#upload-file", ParityFiles.File("config.json"));
            await page.ClickAsync("#upload-button");
            await Assertions.Expect(page.Locator("#upload-error")).ToContainTextAsync("config.json");
            Assert.False(File.Exists(Path.Combine(_app.DataDir, "models", "generators", "browser-notes.safetensors")));
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "models-failure.png"), FullPage = true });
            throw;
        }
    }
}
