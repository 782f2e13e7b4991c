using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nada.Web.Data;

namespace Nada.Web.Tests.Infrastructure;

/// <summary>
/// The app's database factory with the job recovery's opens held back for the first moments after the host is built:
/// what a busy machine does to the start's recovery (a background service's first turn waits for a thread-pool thread)
/// while a job storage's worker threads already claim jobs. Other callers are not delayed.
/// </summary>
public sealed class SlowDatabaseAtStart(IDbContextFactory<NadaDbContext> inner, TimeSpan delay) : IDbContextFactory<NadaDbContext>
{
    private readonly DateTime _until = DateTime.UtcNow + delay;

    public static Action<IServiceCollection> Install(TimeSpan delay) => services =>
    {
        var original = services.Last(d => d.ServiceType == typeof(IDbContextFactory<NadaDbContext>));
        services.Remove(original);
        services.Add(new ServiceDescriptor(typeof(IDbContextFactory<NadaDbContext>),
            sp => new SlowDatabaseAtStart((IDbContextFactory<NadaDbContext>)Build(original, sp), delay), original.Lifetime));
    };

    public NadaDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<NadaDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
    {
        var wait = _until - DateTime.UtcNow;
        if (wait > TimeSpan.Zero && CalledByRecovery()) await Task.Delay(wait, cancellationToken);
        return await inner.CreateDbContextAsync(cancellationToken);
    }

    private static bool CalledByRecovery() =>
        new System.Diagnostics.StackTrace().GetFrames().Any(f => f.GetMethod()?.DeclaringType is { } t
            && (t == typeof(Nada.Web.Jobs.JobRecovery) || t.DeclaringType == typeof(Nada.Web.Jobs.JobRecovery)));

    private static object Build(ServiceDescriptor d, IServiceProvider sp) =>
        d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!);
}
