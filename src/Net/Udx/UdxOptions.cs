using Microsoft.Extensions.Logging;

namespace Cabal.Net.Udx;

/// <summary>Settings of a <see cref="Udx"/> instance and its sockets and streams. Every property has a usable default.</summary>
public sealed record UdxOptions
{
    /// <summary>
    /// Base MTU (IP packet size) every stream starts at. Default 1200 (libudx UDX_MTU_BASE): payloads of
    /// 1152 bytes, safe on practically every path.
    /// </summary>
    public int Mtu { get; init; } = 1200;

    /// <summary>
    /// Largest MTU path probing may reach (libudx's probe: padded DATA packets, 32 bytes larger each time).
    /// Default 1500 (UDX_MTU_MAX). Set it equal to <see cref="Mtu"/> to never probe.
    /// </summary>
    public int MaxMtu { get; init; } = 1500;

    /// <summary>
    /// Receive window, bytes: what we let the peer have in flight towards us, and the bound on memory held
    /// for one stream (out-of-order packets plus bytes the application has not read yet). Default 4 MiB
    /// (libudx UDX_DEFAULT_RWND_MAX).
    /// </summary>
    public int ReceiveWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes written to a stream and not yet acknowledged before writers wait, on top of the current send
    /// window (min(congestion window, peer window)), as libudx's UDX_HIGH_WATERMARK: memory follows what the
    /// path can carry, and a fast long path is never starved by a fixed buffer. Default 256 KiB.
    /// </summary>
    public int SendBufferSize { get; init; } = 256 * 1024;

    /// <summary>
    /// Send a HEARTBEAT when a connected stream has nothing in flight for this long (the peer answers with an
    /// ACK). Default null: off, as in libudx, whose users (hyperdht) keep connections alive one layer up.
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary>
    /// Close a connected stream with <see cref="UdxError.IdleTimeout"/> when nothing arrives for this long.
    /// Default null: off, as in libudx (a dead peer is still detected while data is unacknowledged: six
    /// retransmission timeouts, about 13 s). Use with <see cref="KeepAliveInterval"/> (less than half of it).
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>
    /// After a clean close, keep answering the peer's retransmissions for this long (TIME_WAIT), so a lost
    /// final ACK does not leave the peer timing out. Default 15 s: the peer's whole retransmission schedule
    /// (six timeouts, about 13 s at the minimum RTO). Only the id and a small object stay in use; buffers are
    /// freed at the close. Zero releases the stream id at once.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Kernel receive and send buffer size requested for each socket (best effort). Default 4 MiB.</summary>
    public int SocketBufferSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Clock for every timer (retransmission, pacing, keep-alive, idle, linger). Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Test hook: lose, duplicate and reorder datagrams on every socket of this instance, in both directions.
    /// Default null (off). Never set outside tests and benchmarks.
    /// </summary>
    public UdxFaultInjection? FaultInjection { get; init; }

    /// <summary>Out-of-order packets a stream holds at most: bounds the sequence span a peer can make us index.</summary>
    internal int MaxOutOfOrderPackets => Math.Clamp(ReceiveWindow / 256, 64, 65_536);

    internal void Validate()
    {
        if (Mtu < 576 || Mtu > 9000) throw new ArgumentException("Mtu must be 576–9000.");
        if (MaxMtu < Mtu || MaxMtu > 9000) throw new ArgumentException("MaxMtu must be at least Mtu and at most 9000.");
        if (MaxMtu - UdxPacket.Ipv4Overhead + Engine.OutgoingPacket.PayloadOffset > 1 << 16) throw new ArgumentException("MaxMtu is too large.");
        if (ReceiveWindow < 16 * 1024) throw new ArgumentException("ReceiveWindow must be at least 16 KiB.");
        if (SendBufferSize < 16 * 1024) throw new ArgumentException("SendBufferSize must be at least 16 KiB.");
        if (KeepAliveInterval is { } k && k <= TimeSpan.Zero) throw new ArgumentException("KeepAliveInterval must be positive (or null for off).");
        if (IdleTimeout is { } i && i <= TimeSpan.Zero) throw new ArgumentException("IdleTimeout must be positive (or null for off).");
        if (Linger < TimeSpan.Zero) throw new ArgumentException("Linger must not be negative.");
        if (SocketBufferSize < 0) throw new ArgumentException("SocketBufferSize must not be negative.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
        FaultInjection?.Validate();
    }
}

/// <summary>
/// Test hook: what a socket does wrong on purpose, independently in each direction (datagrams it sends and
/// datagrams it receives). Deterministic for a given <see cref="Seed"/> and order of datagrams.
/// </summary>
public sealed record UdxFaultInjection
{
    /// <summary>Probability that a datagram is dropped.</summary>
    public double LossRate { get; init; }

    /// <summary>Probability that a datagram is delivered twice.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Probability that a datagram is held back and delivered after the next one (or after <see cref="ReorderDelay"/>).</summary>
    public double ReorderRate { get; init; }

    /// <summary>Longest a held-back datagram waits for a successor. Default 2 ms.</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Apply to datagrams this socket sends. Default true.</summary>
    public bool Outgoing { get; init; } = true;

    /// <summary>Apply to datagrams this socket receives. Default true.</summary>
    public bool Incoming { get; init; } = true;

    public int Seed { get; init; } = 1;

    internal void Validate()
    {
        foreach (var p in new[] { LossRate, DuplicateRate, ReorderRate })
            if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentException("Fault probabilities must be 0–1.");
        if (ReorderDelay < TimeSpan.Zero) throw new ArgumentException("ReorderDelay must not be negative.");
    }
}
