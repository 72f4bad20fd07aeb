using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Multifeed.Replication;

/// <summary>Per-connection replication settings (hypercore's replicate options).</summary>
public sealed record ReplicationOptions
{
    /// <summary>Keep channels open and stream new blocks as they appear (cabal's mode). Default true.</summary>
    public bool Live { get; init; } = true;

    /// <summary>Ask peers to acknowledge every block we send them (Options.ack). Default false, as in cabal.</summary>
    public bool Ack { get; init; }

    /// <summary>Serve blocks to peers. Default true.</summary>
    public bool Upload { get; init; } = true;

    /// <summary>Download remote feeds' blocks. Default true (a writable feed never downloads itself).</summary>
    public bool Download { get; init; } = true;

    /// <summary>Requests in flight per feed per peer. Default 16, as hypercore.</summary>
    public int MaxInflightRequests { get; init; } = 16;

    /// <summary>
    /// Requests in flight on one connection across all its feeds. Default 512: enough to keep a
    /// loopback or LAN link busy, small enough that a peer with thousands of feeds does not have
    /// tens of thousands of blocks in memory at once.
    /// </summary>
    public int MaxInflightPerConnection { get; init; } = 512;

    /// <summary>
    /// Memory the remote's Have claims may take on one connection, across all its feeds: the bitfields
    /// recording which blocks it has that we lack (issue 20). Each feed's is already bounded (2 MiB), but
    /// a member with a thousand channels open could scatter Haves over all of them and make us hold a
    /// gigabyte. Past it the connection is closed as abuse. Default 8 MiB: a fresh peer's claims over
    /// 100,000 short feeds take about 1.6 MiB, over 64 feeds of a million blocks each the whole of it.
    /// </summary>
    public long MaxRemoteClaimBytesPerConnection { get; init; } = 8L * 1024 * 1024;

    /// <summary>A request unanswered this long closes that feed's channel. Default 20 s, as hypercore.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Where replication logs (categories <see cref="Replicator"/>, <see cref="ReplicationSession"/>). Default: nowhere.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
