using Cabal.Net.Compact;
using Cabal.Net.Crypto;

namespace Cabal.Net.HyperDht;

/// <summary>One ConnectAsync call's settings; every property defaults to the node's.</summary>
public sealed record ConnectOptions
{
    /// <summary>Our static key pair. Default: the node's (HyperDhtOptions.KeyPair).</summary>
    public KeyPair? KeyPair { get; init; }

    /// <summary>
    /// Where handshakes for the server can be sent, e.g. from its topic record (hyperswarm passes them).
    /// Tried one after another beside a FIND_PEER query. Default: none, only the query.
    /// </summary>
    public IReadOnlyList<Ipv4EndPoint>? RelayAddresses { get; init; }

    /// <summary>Offer and try the same-host/LAN shortcut. Default: HyperDhtOptions.LocalConnection.</summary>
    public bool? LocalConnection { get; init; }

    /// <summary>Open a TTL-5 session to the server's address before the first holepunch round (hyperdht fastOpen). Default true.</summary>
    public bool FastOpen { get; init; } = true;

    /// <summary>Overall bound on the attempt. Default: HyperDhtOptions.ConnectTimeout.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>Holepunch counters of a node (hyperdht stats.punches); all only grow.</summary>
public sealed class PunchStats
{
    internal long open, consistent, random, tryLater, probeRounds, punchRounds, invalidReplies;

    /// <summary>Connections made without punching because a side was OPEN or reachable directly.</summary>
    public long Open => Interlocked.Read(ref open);
    /// <summary>Punches between two consistent NATs.</summary>
    public long Consistent => Interlocked.Read(ref consistent);
    /// <summary>Punches involving a randomising NAT.</summary>
    public long Random => Interlocked.Read(ref random);
    /// <summary>Rounds we answered "try later" because a random punch was already running.</summary>
    public long TryLater => Interlocked.Read(ref tryLater);
    /// <summary>PEER_HOLEPUNCH probe rounds this node sent as a client.</summary>
    public long ProbeRounds => Interlocked.Read(ref probeRounds);
    /// <summary>PEER_HOLEPUNCH punch rounds this node sent as a client.</summary>
    public long PunchRounds => Interlocked.Read(ref punchRounds);
    /// <summary>Holepunch replies whose payload did not open (HOLEPUNCH_INVALID).</summary>
    public long InvalidReplies => Interlocked.Read(ref invalidReplies);
}

/// <summary>hyperdht's limit on punches involving a randomising NAT: one at a time, RandomPunchInterval apart.</summary>
internal sealed class RandomPunchGate(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private int _active;
    private long? _last;

    public bool Busy
    {
        get
        {
            lock (_gate) return _active >= 1 || (_last is { } last && time.GetElapsedTime(last) < interval);
        }
    }

    public void Take()
    {
        lock (_gate) _active++;
    }

    /// <summary>A random punch ended (<paramref name="stamp"/>: it ran, so the interval starts now).</summary>
    public void Release(bool stamp = true)
    {
        lock (_gate)
        {
            _active = Math.Max(0, _active - 1);
            if (stamp) _last = time.GetTimestamp();
        }
    }
}
