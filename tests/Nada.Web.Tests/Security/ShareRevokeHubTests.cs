using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Nada.Web.Progress;
using Nada.Web.Tests.Infrastructure;

namespace Nada.Web.Tests.Security;

/// <summary>Revoking a share link drops the hub connections that joined through it.</summary>
[Collection(SecurityCollection.Name)]
public sealed class ShareRevokeHubTests(SecurityApp fixture)
{
    private readonly NadaAppFactory _app = fixture.App;

    [Fact]
    public async Task RevokedLink_DropsItsOpenHubConnection()
    {
        using var owner = await _app.NewUserAsync("share-owner");
        using var viewer = _app.NewClient();
        var (job, domain) = await owner.DomainAsync();
        var token = await owner.ShareAsync(domain);

        await using var hub = viewer.Hub(token);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await hub.StartAsync();
        var history = await hub.InvokeAsync<JobProgressDto>("JoinJob", job, token);
        Assert.Equal(job, history.JobId);

        // Someone else watching the same job (the owner) stays connected.
        await using var ownerHub = owner.Hub();
        await ownerHub.StartAsync();
        await ownerHub.InvokeAsync<JobProgressDto>("JoinJob", job, null);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/api/domains/{domain}/share")).StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Disconnected, hub.State);
        Assert.Equal(HubConnectionState.Connected, ownerHub.State);

        // Connecting again with the old link opens nothing.
        await using var again = viewer.Hub(token);
        await again.StartAsync();
        await Assert.ThrowsAsync<HubException>(() => again.InvokeAsync<JobProgressDto>("JoinJob", job, token));
    }
}
