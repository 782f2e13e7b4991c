using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Nada.Web.Cluster;

/// <summary>Where boxes of one site meet: Redis (section "Redis"); empty on a single box.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>A StackExchange.Redis configuration string ("redis:6379,password=..."); empty: no Redis (one box).</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every channel this site uses, so several sites can share one Redis.</summary>
    public string ChannelPrefix { get; set; } = "nada";

    /// <summary>True when Redis is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);
}

/// <summary>
/// Events that move between the boxes of a site: a box publishes what happened in it (a training step, a download's
/// progress); every other box hears it and updates the pages its users watch. Best effort: when the bus is down,
/// nothing waits for it (training goes on) and pages fall back to reading the database and the shared run folders.
/// </summary>
public interface IClusterBus
{
    /// <summary>This box's name on the messages it sends.</summary>
    string Origin { get; }

    /// <summary>True while messages can go out (always true for a single box).</summary>
    bool IsConnected { get; }

    /// <summary>Sends a message on a topic to every other box (never throws).</summary>
    void Publish<T>(string topic, T message);

    /// <summary>Calls <paramref name="handler"/> for every message on <paramref name="topic"/> from another box.</summary>
    void Subscribe<T>(string topic, Action<T> handler);
}

/// <summary>The bus of a single box: there is nobody to tell.</summary>
public sealed class LocalBus(Jobs.ServerIdentity server) : IClusterBus
{
    public string Origin => server.Name;
    public bool IsConnected => true;
    public void Publish<T>(string topic, T message) { }
    public void Subscribe<T>(string topic, Action<T> handler) { }
}

/// <summary>The bus over Redis pub/sub (StackExchange.Redis), one channel per topic under the site's prefix.</summary>
public sealed class RedisBus : IClusterBus, IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly ILogger<RedisBus> _log;
    private DateTimeOffset _lastWarning;

    public RedisBus(IOptions<RedisOptions> options, Jobs.ServerIdentity server, ILogger<RedisBus> log)
    {
        var config = ConfigurationOptions.Parse(options.Value.Configuration!);
        config.AbortOnConnectFail = false;   // start without Redis, reconnect on our own
        config.ClientName = server.Name;
        _redis = ConnectionMultiplexer.Connect(config);
        _prefix = options.Value.ChannelPrefix;
        _log = log;
        Origin = server.Name;
    }

    public string Origin { get; }

    public bool IsConnected => _redis.IsConnected;

    /// <summary>The connection, shared with the SignalR backplane's health check.</summary>
    public IConnectionMultiplexer Connection => _redis;

    public void Publish<T>(string topic, T message)
    {
        try
        {
            var envelope = JsonSerializer.Serialize(new Envelope<T>(Origin, message), Json);
            _redis.GetSubscriber().Publish(RedisChannel.Literal($"{_prefix}:{topic}"), envelope, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException or TimeoutException)
        {
            if (DateTimeOffset.UtcNow - _lastWarning > TimeSpan.FromMinutes(1))
            {
                _lastWarning = DateTimeOffset.UtcNow;
                _log.LogWarning("Redis is unreachable ({Message}); other boxes' pages read the database and run folders until it is back", e.Message);
            }
        }
    }

    public void Subscribe<T>(string topic, Action<T> handler)
    {
        _redis.GetSubscriber().Subscribe(RedisChannel.Literal($"{_prefix}:{topic}"), (_, value) =>
        {
            try
            {
                var envelope = JsonSerializer.Deserialize<Envelope<T>>(value.ToString(), Json);
                if (envelope is null || envelope.Origin == Origin || envelope.Message is null) return;
                handler(envelope.Message);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                _log.LogWarning(e, "A message on {Topic} could not be read", topic);
            }
        });
    }

    public void Dispose() => _redis.Dispose();

    private sealed record Envelope<T>(string Origin, T? Message);
}
