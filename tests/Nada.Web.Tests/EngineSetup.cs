using System.Runtime.CompilerServices;

namespace Nada.Web.Tests;

/// <summary>Applies the engine's process settings before any test can load LibTorch (see <see cref="Nada.Core.EngineRuntime"/>).</summary>
internal static class EngineSetup
{
    [ModuleInitializer]
    internal static void Initialize() => Nada.Core.EngineRuntime.EnsureEnvironment();
}
