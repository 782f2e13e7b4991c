namespace Nada.Web.Tests.Infrastructure;

/// <summary>One app shared by the integration and browser tests (they run one after another).</summary>
public sealed class AppFixture : IDisposable
{
    public NadaAppFactory App { get; } = new();

    public void Dispose() => App.Dispose();
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}
