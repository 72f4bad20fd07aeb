using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

/// <summary>One of our requests in flight: retransmitted until answered or out of retries (io.js Request).</summary>
internal sealed class PendingRequest
{
    public required ushort Tid { get; init; }
    public required Ipv4EndPoint To { get; init; }
    public byte[]? ToId { get; init; }
    public required IDatagramSocket Socket { get; set; }
    public byte[]? Token { get; init; }
    public required bool Internal { get; init; }
    public required ulong Command { get; init; }
    public byte[]? Target { get; init; }
    public byte[]? Value { get; init; }
    public int Ttl { get; init; }

    public int Retries { get; set; } = 3;

    /// <summary>Fixed per-attempt timeout (DELAYED_PING); null: the node's (adaptive) timeout.</summary>
    public TimeSpan? Timeout { get; set; }

    public int Sent { get; set; }
    public long SentAt { get; set; }
    public long FirstSentAt { get; set; }
    public long Deadline { get; set; } = long.MaxValue;
    public bool Deferred { get; set; }
    public bool Done { get; set; }

    /// <summary>Encoded on first send (whether it carries our id depends on the socket then), reused for retransmissions.</summary>
    public byte[]? Datagram { get; set; }

    public Action<DhtReply>? OnResponse { get; set; }
    public Action<DhtRequestException>? OnError { get; set; }

    /// <summary>Called when an attempt times out (before the retransmission); queries count such requests as slow.</summary>
    public Action<PendingRequest>? OnCycle { get; set; }

    /// <summary>The query this request belongs to, so cancelling the query cancels it.</summary>
    public DhtQuery? Query { get; init; }
}
