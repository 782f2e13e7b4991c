using Nada.Web.Hosting;

// Before anything can load LibTorch: its OpenMP threads must sleep when idle (see EngineRuntime).
Nada.Core.EngineRuntime.EnsureEnvironment();
// Everything the app writes is private to the service user (see FileModes).
FileModes.RestrictNewFiles();
var builder = WebApplication.CreateBuilder(args);
builder.AddNadaWeb();

var app = builder.Build();
await app.InitialiseNadaAsync();
app.UseNadaWeb();
app.Run();

/// <summary>The app's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
