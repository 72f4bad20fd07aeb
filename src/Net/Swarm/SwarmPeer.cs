// What the swarm knows of one remote public key: hyperswarm's PeerInfo (lib/peer-info.js), the fields
// the queue and the retry rules read. Explicit peers (joinPeer) and bans are not modelled yet.
using Cabal.Net.Compact;

namespace Cabal.Net.Swarm;

internal sealed class SwarmPeer(Key32 publicKey)
{
    // Priorities of lib/peer-info.js:7-11; higher is dialled first.
    public const int VeryLow = 0, Low = 1, Normal = 2, High = 3, VeryHigh = 4;

    public Key32 PublicKey { get; } = publicKey;
    public IReadOnlyList<Ipv4EndPoint> RelayAddresses { get; set; } = [];
    public HashSet<Key32> Topics { get; } = [];
    public int Attempts { get; set; }
    public int Priority { get; private set; } = Normal;
    public bool Proven { get; set; }
    public bool Client { get; set; }
    public bool Queued { get; set; }
    public bool Waiting { get; set; }
    public long? ConnectedAt { get; set; }
    public long DisconnectedAt { get; set; }

    public bool Prioritized => Priority >= Normal;

    /// <summary>peer-info.js:56-64 (tried is never set in 4.17.2, so only attempts count).</summary>
    private int ComputePriority() => Attempts switch
    {
        > 3 => VeryLow,
        3 => Low,
        2 => High,
        1 => VeryHigh,
        _ => Normal,
    };

    /// <summary>peer-info.js:90-95: false when the peer may not be queued.</summary>
    public bool UpdatePriority()
    {
        if (Queued || Attempts > 3) return false;
        Priority = ComputePriority();
        return true;
    }

    /// <summary>peer-info.js:83-88: rediscovered by a lookup, it starts afresh.</summary>
    public void Reset()
    {
        Client = false;
        Proven = false;
        Attempts = 0;
    }

    public void Connected(long nowMs)
    {
        Proven = true;
        ConnectedAt = nowMs;
    }

    /// <summary>peer-info.js:70-78: a connection that lasted MinConnectionTime retries as if new.</summary>
    public void Disconnected(long nowMs, long minConnectionMs)
    {
        DisconnectedAt = nowMs;
        if (ConnectedAt is { } at)
        {
            if (nowMs - at >= minConnectionMs) Attempts = 0;
            ConnectedAt = null;
        }
        Attempts++;
    }
}
