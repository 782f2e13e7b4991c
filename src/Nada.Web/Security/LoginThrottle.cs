using Microsoft.Extensions.Options;

namespace Nada.Web.Security;

/// <summary>
/// Counts failed sign-ins in memory, per client address and per account name (known or unknown alike, so the answers
/// say nothing about which accounts exist). A client that failed <see cref="SignInRules.ClientFailures"/> times in the
/// window waits until the oldest failure leaves it. An account name that failed
/// <see cref="SignInRules.AccountFailures"/> times from unknown devices is delayed for unknown devices only, the delay
/// doubling with each further failure; a device that signed in to the account before is never delayed by others'
/// failures (OWASP's "device cookie" scheme), so a stranger cannot lock the owner out.
/// </summary>
public sealed class LoginThrottle(IOptions<SecurityOptions> options, TimeProvider clock)
{
    private const int PruneAbove = 10_000;
    private static readonly TimeSpan AccountMemory = TimeSpan.FromHours(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _clients = new();
    private readonly Dictionary<string, AccountState> _accounts = new(StringComparer.OrdinalIgnoreCase);

    private sealed class AccountState
    {
        public int Failures;
        public DateTimeOffset LastFailure;
        public DateTimeOffset DelayedUntil;
    }

    private SignInRules Rules => options.Value.SignIn;

    /// <summary>How long the client must wait before it may try again, or null.</summary>
    public TimeSpan? ClientWait(string client)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (!_clients.TryGetValue(client, out var failures)) return null;
            Expire(failures, now);
            if (failures.Count < Math.Max(1, Rules.ClientFailures)) return null;
            return failures.Peek() + Window - now;
        }
    }

    /// <summary>How long an unknown device must wait before it may try this account name again, or null.</summary>
    public TimeSpan? AccountWait(string account, bool knownDevice)
    {
        if (knownDevice) return null;
        var now = clock.GetUtcNow();
        lock (_lock)
            return _accounts.TryGetValue(account, out var s) && s.DelayedUntil > now ? s.DelayedUntil - now : null;
    }

    /// <summary>Counts a wrong password from <paramref name="client"/> for <paramref name="account"/>.</summary>
    public void Failed(string client, string account, bool knownDevice)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_clients.Count + _accounts.Count > PruneAbove) Prune(now);
            if (!_clients.TryGetValue(client, out var failures)) _clients[client] = failures = new Queue<DateTimeOffset>();
            Expire(failures, now);
            failures.Enqueue(now);
            if (knownDevice) return;
            if (!_accounts.TryGetValue(account, out var s) || now - s.LastFailure > AccountMemory) _accounts[account] = s = new AccountState();
            s.Failures++;
            s.LastFailure = now;
            int over = s.Failures - Math.Max(1, Rules.AccountFailures);
            if (over < 0) return;
            double seconds = Math.Min(Rules.AccountDelaySeconds * Math.Pow(2, Math.Min(over, 30)), Rules.AccountMaxDelayMinutes * 60);
            s.DelayedUntil = now + TimeSpan.FromSeconds(seconds);
        }
    }

    /// <summary>A correct password: the account's failures are forgotten (the client's stay counted).</summary>
    public void Succeeded(string account)
    {
        lock (_lock) _accounts.Remove(account);
    }

    private TimeSpan Window => TimeSpan.FromMinutes(Rules.ClientWindowMinutes);

    private void Expire(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() <= now - Window) failures.Dequeue();
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, q) in _clients.ToList())
        {
            Expire(q, now);
            if (q.Count == 0) _clients.Remove(key);
        }
        foreach (var (key, s) in _accounts.ToList())
            if (now - s.LastFailure > AccountMemory && s.DelayedUntil <= now) _accounts.Remove(key);
    }
}
