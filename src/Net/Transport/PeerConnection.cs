// One TCP-carried protocol connection together with what the transport knows about it: who dialled,
// where the other end is and, for dialled ones, the address we used. The manager also records why it
// closed the connection, so applications can tell a duplicate from a remote hang-up.
using System.Net;

namespace Cabal.Net.Transport;

public sealed class PeerConnection
{
    private int _closeReason;

    internal PeerConnection(ProtocolConnection connection, IPEndPoint remoteEndPoint, PeerAddress? address)
    {
        Connection = connection;
        RemoteEndPoint = remoteEndPoint;
        Address = address;
    }

    /// <summary>The protocol connection (not started when handed out by the listener or dialer).</summary>
    public ProtocolConnection Connection { get; }

    /// <summary>True when we dialled (we are the Noise initiator).</summary>
    public bool IsInitiator => Connection.IsInitiator;

    /// <summary>The remote TCP endpoint (for inbound connections, the peer's ephemeral port).</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>What carries the connection: "tcp", or the name given to ConnectionManager.Adopt (e.g. "hyperswarm").</summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>The address we dialled; null for inbound connections and adopted ones.</summary>
    public PeerAddress? Address { get; }

    /// <summary>The remote's Noise static key (its transport identity), once the handshake is done.</summary>
    public ReadOnlyMemory<byte>? RemoteStaticKey => Connection.RemoteStaticKey;

    /// <summary>Why the manager closed or lost this connection; <see cref="PeerCloseReason.None"/> while open.</summary>
    public PeerCloseReason CloseReason => (PeerCloseReason)Volatile.Read(ref _closeReason);

    /// <summary>Records the first reason only: later ones are consequences of it.</summary>
    internal void SetCloseReason(PeerCloseReason reason) => Interlocked.CompareExchange(ref _closeReason, (int)reason, 0);

    // Manager bookkeeping, guarded by the manager's lock.
    internal string? IdentityKey { get; set; }
    internal bool WasEstablished { get; set; }

    /// <summary>Completes once the manager has processed the end of this connection.</summary>
    internal Task Monitor { get; set; } = Task.CompletedTask;

    public override string ToString()
        => $"{(IsInitiator ? "to" : "from")} {RemoteEndPoint}" + (RemoteStaticKey is { } k ? $" ({Convert.ToHexStringLower(k.Span)[..8]})" : "");
}

/// <summary>Why a managed connection ended.</summary>
public enum PeerCloseReason
{
    None = 0,
    /// <summary>The remote closed it or the transport failed (see <see cref="ProtocolConnection.Error"/>).</summary>
    Ended,
    /// <summary>Another connection to the same remote identity was kept instead.</summary>
    Duplicate,
    /// <summary>The remote is this process (same static key).</summary>
    Self,
    /// <summary>The handshake did not complete in time or failed.</summary>
    HandshakeFailed,
    /// <summary>The connection limit was reached.</summary>
    AtCapacity,
    /// <summary>The manager is shutting down.</summary>
    Shutdown,
}
