using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nada.Core.Scheduling;
using Nada.Web.Data;
using Nada.Web.Jobs;
using Nada.Web.Options;

namespace Nada.Web.Cluster;

/// <summary>One device of a box as the admin page shows it.</summary>
public sealed record BoxDevice(string Device, string? GpuName, int JobSlots, int RunningJobs, int InteractiveWaiting,
    double? InteractiveWaitP95Seconds, long? MemoryUsedBytes, long? MemoryTotalBytes, string MemorySource);

/// <summary>A box of the site as the admin page shows it.</summary>
public sealed record BoxView(string Name, string Role, IReadOnlyList<BoxDevice> Devices, long? FreeDiskBytes, DateTimeOffset LastSeen, bool Alive);

/// <summary>
/// Every box writes its row (role, devices with load and memory, free disk) every few seconds; the admin queue page
/// shows one row per box, whichever box it is served from. A box not heard from for a minute is shown as gone.
/// </summary>
public sealed class BoxRegistry(IDbContextFactory<NadaDbContext> dbFactory, ServerIdentity server, IServiceProvider services,
    DiskReserve disk, IOptions<JobsOptions> jobs, TimeProvider clock, ILogger<BoxRegistry> log) : BackgroundService
{
    /// <summary>How long a box may be silent before it is shown as gone.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMinutes(1);

    private static readonly JsonSerializerOptions Json = new();

    /// <summary>Every box that reported, this one included, newest first.</summary>
    public async Task<IReadOnlyList<BoxView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        return (await db.Boxes.AsNoTracking().ToListAsync(ct)).OrderBy(b => b.Name).Select(b => new BoxView(b.Name, b.Role,
            JsonSerializer.Deserialize<List<BoxDevice>>(b.DevicesJson, Json) ?? [], b.FreeDiskBytes, b.LastSeen, now - b.LastSeen < Silence)).ToList();
    }

    /// <summary>This box's row as it is now.</summary>
    public BoxRecord Current()
    {
        var devices = new List<BoxDevice>();
        if (jobs.Value.Trains && services.GetService<GpuBroker>() is { } broker)
        {
            foreach (var load in broker.Load())
            {
                var status = Nada.Core.DeviceStatus.Read(load.Device);
                devices.Add(new BoxDevice(load.Device, status.GpuName, load.JobSlots, load.RunningJobs, load.InteractiveWaiting,
                    load.InteractiveWaitP95Seconds, status.MemoryUsedBytes, status.MemoryTotalBytes, status.MemorySource));
            }
        }
        string role = jobs.Value.Trains ? (jobs.Value.ServesWeb ? "both" : "train") : "web";
        return new BoxRecord { Name = server.Name, Role = role, DevicesJson = JsonSerializer.Serialize(devices, Json), FreeDiskBytes = disk.Free, LastSeen = clock.GetUtcNow() };
    }

    /// <summary>This box as the admin page shows it, read now.</summary>
    public BoxView CurrentView()
    {
        var row = Current();
        return new BoxView(row.Name, row.Role, JsonSerializer.Deserialize<List<BoxDevice>>(row.DevicesJson, Json) ?? [], row.FreeDiskBytes, row.LastSeen, true);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, jobs.Value.SweepSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var row = Current();
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                var existing = await db.Boxes.SingleOrDefaultAsync(b => b.Name == row.Name, stoppingToken);
                if (existing is null) db.Boxes.Add(row);
                else (existing.Role, existing.DevicesJson, existing.FreeDiskBytes, existing.LastSeen) = (row.Role, row.DevicesJson, row.FreeDiskBytes, row.LastSeen);
                await db.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogDebug(e, "Writing this box's row failed; it is tried again");
            }
            try { await Task.Delay(period, clock, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}
