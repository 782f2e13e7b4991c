using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Nada.Core.Service;
using Nada.Web.Tests.Fakes;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>
/// The real app on a real Kestrel port (127.0.0.1, any free port) with its own data folder and the given settings.
/// With <c>Engine:Kind=fake</c> (the default here) the engine's job and sampling interfaces are the test fakes of
/// <see cref="Fakes"/> (the production assembly knows nothing of them) and the models folder gets placeholder files;
/// with <c>torch</c> the real engine runs. Settings go in through UseSetting so Program sees them before Build().
/// </summary>
public sealed class NadaAppFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@nada.test";
    public const string AdminPassword = "Admin-pass-1";

    /// <summary>A target text that makes the fake engine fail.</summary>
    public const string FailText = "please fail";

    private readonly Dictionary<string, string> _settings;
    private readonly bool _ownsDataDir;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="dataDir">The data folder (kept), or null for a new temporary one (deleted on dispose).</param>
    /// <param name="settings">Settings over the defaults below; <c>environment</c> = Production runs the app as deployed.</param>
    /// <param name="services">Test services over the app's, e.g. one that fails on purpose.</param>
    public NadaAppFactory(string? dataDir = null, IDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        _ownsDataDir = dataDir is null;
        DataDir = dataDir ?? TestPaths.NewTempDir("app");
        _settings = new Dictionary<string, string>
        {
            ["Nada:DataDir"] = DataDir,
            ["Nada:ModelsDir"] = Path.Combine(DataDir, "models"),
            ["Engine:Kind"] = "fake",
            ["Engine:FakeStepMilliseconds"] = "40",
            ["Engine:FakePreviewEvery"] = "3",
            ["Engine:FakeFailText"] = FailText,
            ["Jobs:Storage"] = "memory",
            ["Jobs:GpuCount"] = "1",
            ["Jobs:CancellationCheckSeconds"] = "0.5",
            ["Jobs:ShutdownTimeoutSeconds"] = "5",
            ["Quotas:Roles:User:MaxQueued"] = "20",
            ["Jobs:HeartbeatSeconds"] = "0.5",
            ["Jobs:SweepSeconds"] = "0.5",
            ["Limits:SubmissionsPerMinute"] = "100",
            // Every test client comes from 127.0.0.1: the per-client limits are tested by their own tests.
            ["Security:SignUp:PerClientPerHour"] = "100000",
            ["Security:Clients:SubmissionsPerMinute"] = "100000",
            ["Security:Clients:SubmissionsPerHour"] = "100000",
            ["Admin:Email"] = AdminEmail,
            ["Admin:Password"] = AdminPassword,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Nada"] = "Information",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) _settings[k] = v;
        if (UsesFakeEngine) SeedFakeModels(Path.Combine(DataDir, "models"));
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    /// <summary>
    /// The app with the real TorchSharp engine and the tiny parity networks (NADA_PARITY_DIR) as its models:
    /// <c>generators/tiny-stylegan2.pt</c> and <c>clip/tiny-clip-vit.pt</c>.
    /// </summary>
    public static NadaAppFactory TorchOnTinyNetworks(string prefix, Action<IServiceCollection>? services = null)
    {
        string data = TestPaths.NewTempDir(prefix);
        Directory.CreateDirectory(Path.Combine(data, "models", "generators"));
        Directory.CreateDirectory(Path.Combine(data, "models", "clip"));
        File.Copy(Nada.Core.Tests.ParityFiles.File("stylegan2_rosinality.pt"), Path.Combine(data, "models", "generators", "tiny-stylegan2.pt"));
        File.Copy(Nada.Core.Tests.ParityFiles.File("clip_openai_tiny_vit.pt"), Path.Combine(data, "models", "clip", "tiny-clip-vit.pt"));
        return new NadaAppFactory(data, new Dictionary<string, string> { ["Engine:Kind"] = "torch", ["Evaluation:Samples"] = "4" }, services);
    }

    /// <summary>True when the test fakes stand in for the engine.</summary>
    public bool UsesFakeEngine => !_settings.TryGetValue("Engine:Kind", out var kind) || kind == "fake";

    /// <summary>The fake engine needs model files to choose from, not real weights: small placeholders when none exist.</summary>
    public static void SeedFakeModels(string modelsDir)
    {
        foreach (var (sub, names) in new[]
                 {
                     ("generators", new[] { "fake-ffhq-256.pkl", "fake-afhqdog-256.pkl" }),
                     ("clip", new[] { "fake-clip-vit-b32.pt", "fake-clip-vit-b16.pt" }),
                 })
        {
            var dir = Path.Combine(modelsDir, sub);
            Directory.CreateDirectory(dir);
            if (Directory.EnumerateFiles(dir).Any()) continue;
            foreach (var n in names) File.WriteAllText(Path.Combine(dir, n), "placeholder for the fake engine\n");
        }
    }

    /// <summary>The data folder of this app (kept for a restart on the same data).</summary>
    public string DataDir { get; }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseAddress { get; }

    /// <summary>The fake engine of this host, to see how it was called.</summary>
    public FakeAdaptationEngine Engine => Services.GetRequiredService<FakeAdaptationEngine>();

    /// <summary>What the server logged at warning level and above (for assertion messages).</summary>
    public ServerLog ServerLog { get; } = new();

    /// <summary>A client with its own cookie jar talking to the real port (from <paramref name="localAddress"/>, e.g. 127.0.0.2).</summary>
    public ApiClient NewClient(System.Net.IPAddress? localAddress = null) => new(BaseAddress, localAddress);

    /// <summary>A client signed in as the seeded admin.</summary>
    public async Task<ApiClient> AdminAsync()
    {
        var c = NewClient();
        await c.LoginAsync(AdminEmail, AdminPassword);
        return c;
    }

    /// <summary>A client signed in as a fresh user.</summary>
    public async Task<ApiClient> NewUserAsync(string name)
    {
        var c = NewClient();
        await c.RegisterAndLoginAsync($"{name}-{Guid.NewGuid():N}@nada.test", "User-pass-1");
        return c;
    }

    /// <summary>Stops the host; removes the data folder when this factory made it.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDir) TestPaths.TryDelete(DataDir);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.ConfigureLogging(logging => logging.AddProvider(ServerLog));
        if (!_settings.ContainsKey("environment")) builder.UseEnvironment("Development");
        if (_services is not null) builder.ConfigureTestServices(_services);
        if (!UsesFakeEngine) return;
        builder.ConfigureTestServices(services =>
        {
            services.AddOptions<FakeEngineOptions>().BindConfiguration("Engine");
            services.AddSingleton<FakeAdaptationEngine>();
            services.Replace(ServiceDescriptor.Singleton<IAdaptationEngine>(sp => sp.GetRequiredService<FakeAdaptationEngine>()));
            services.Replace(ServiceDescriptor.Singleton<IEditEngine, FakeEditEngine>());
            services.Replace(ServiceDescriptor.Singleton<IDomainSampler, FakeDomainSampler>());
            services.Replace(ServiceDescriptor.Singleton<ILatentRenderer, FakeLatentRenderer>());
            services.Replace(ServiceDescriptor.Singleton<IDomainEvaluator, FakeDomainEvaluator>());
        });
    }
}
