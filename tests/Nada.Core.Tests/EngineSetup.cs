using System.Runtime.CompilerServices;

namespace Nada.Core.Tests;

/// <summary>Applies the engine's process settings before any test can load LibTorch (see <see cref="EngineRuntime"/>).</summary>
internal static class EngineSetup
{
    [ModuleInitializer]
    internal static void Initialize() => EngineRuntime.EnsureEnvironment();
}
