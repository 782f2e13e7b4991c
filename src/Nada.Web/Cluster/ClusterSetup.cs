using Microsoft.AspNetCore.SignalR;
using Nada.Web.Options;
using StackExchange.Redis;

namespace Nada.Web.Cluster;

/// <summary>
/// What several boxes of one site share beyond the database: the cluster bus (Redis pub/sub, or nothing on one
/// box), the SignalR backplane (Redis, with the site's channel prefix), and each box's row for the admin page.
/// </summary>
public static class ClusterSetup
{
    public static IServiceCollection AddNadaCluster(this IServiceCollection services, IConfiguration config, ISignalRServerBuilder signalR)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ChannelPrefix) && o.ChannelPrefix.Length <= 64, "Redis:ChannelPrefix must be 1-64 characters.")
            .ValidateOnStart();
        var redis = config.GetSection(RedisOptions.Section).Get<RedisOptions>() ?? new RedisOptions();
        if (redis.Enabled)
        {
            services.AddSingleton<RedisBus>();
            services.AddSingleton<IClusterBus>(sp => sp.GetRequiredService<RedisBus>());
            signalR.AddStackExchangeRedis(o =>
            {
                o.Configuration = ConfigurationOptions.Parse(redis.Configuration!);
                o.Configuration.AbortOnConnectFail = false;
                o.Configuration.ChannelPrefix = RedisChannel.Literal(redis.ChannelPrefix + ":signalr");
            });
        }
        else
        {
            services.AddSingleton<IClusterBus, LocalBus>();
        }
        services.AddSingleton<BoxRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<BoxRegistry>());
        return services;
    }
}
