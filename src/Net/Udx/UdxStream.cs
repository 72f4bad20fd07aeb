// A reliable, ordered UDX byte stream, wire-compatible with libudx, exposed as an IDuplexPipe so
// ProtocolConnection (and secret-stream) run over it unchanged. The protocol itself is the sans-IO
// Engine/UdxStreamEngine; this class is the small shell around it: one lock serialising the engine, the
// pipes, a pump that moves application writes into the engine, and one timer.
//
//   UdxStream.cs        public API: connect / change remote, messages, destroy, close, statistics
//   UdxStream.Pipes.cs  Input (reader, counting consumption for the receive window) and Output (pump)
//   UdxStream.Host.cs   the engine's callbacks, the receive path from the socket loop, the timer
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Udx.Engine;
using Cabal.Net.Udx.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Net.Udx;

public sealed partial class UdxStream : IDuplexPipe, IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Udx _udx;
    private readonly UdxStreamEngine _engine;
    private readonly ILogger _log;
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _remoteChanged;

    internal UdxStream(Udx udx, uint localId)
    {
        _udx = udx;
        _log = udx.Options.LoggerFactory?.CreateLogger<UdxStream>() ?? (ILogger)NullLogger.Instance;
        _engine = new UdxStreamEngine(localId, this, udx.Options);
        _timer = udx.Options.TimeProvider.CreateTimer(static s => ((UdxStream)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        (_input, _output, _reader) = CreatePipes();
    }

    /// <summary>Our stream id: the peer puts it in every packet it sends us.</summary>
    public uint LocalId => _engine.LocalId;

    /// <summary>The peer's stream id (0 until connected).</summary>
    public uint RemoteId => _engine.RemoteId;

    public IPEndPoint? RemoteEndPoint => _engine.RemoteEndPoint;

    /// <summary>The socket packets are sent from (null until connected).</summary>
    public UdxSocket? Socket => _engine.Route?.Socket;

    public bool IsConnected => _engine.IsConnected;

    /// <summary>
    /// Consulted, on the socket's receive loop, for a packet that arrives for this stream while it is not
    /// connected or on a socket other than the one it is connected on. Returns <b>true to drop</b> the packet,
    /// false to accept it (libudx's firewall callback). It may call <see cref="Connect"/> (hyperdht connects
    /// the stream from the first packet's source this way). Null (the default) drops such packets, as
    /// udx-native does. A hook that throws drops the packet.
    /// </summary>
    public Func<UdxSocket, IPEndPoint, bool>? Firewall { get; set; }

    /// <summary>
    /// Unreliable MESSAGE datagrams from the peer. Runs on the socket's receive loop (must not block); the
    /// memory is only valid during the call.
    /// </summary>
    public Action<ReadOnlyMemory<byte>>? MessageReceived { get; set; }

    /// <summary>Completes when the stream has closed: null when both sides ended or it was destroyed locally, else why it failed.</summary>
    public Task<Exception?> Closed => _closed.Task;

    // ---- connect --------------------------------------------------------------------------------------

    /// <summary>
    /// Fixes the path: packets go from <paramref name="socket"/> to stream <paramref name="remoteId"/> at
    /// <paramref name="remote"/>. Packets from any address are accepted on that socket afterwards.
    /// </summary>
    public void Connect(UdxSocket socket, uint remoteId, IPEndPoint remote)
    {
        var route = Route(socket, remote);
        lock (_gate)
        {
            ThrowIfClosed();
            _engine.Connect(route, remoteId);
            AfterWork();
        }
        UdxLog.StreamConnected(_log, LocalId, remoteId, remote);
        RunPendingCallbacks();
    }

    /// <summary>
    /// Moves the stream to a new socket, remote id and address (hyperdht: after a holepunch or a relay
    /// change). New packets use the new path at once; the task completes when everything sent before the
    /// change has been acknowledged (at once if nothing is in flight).
    /// </summary>
    public Task ChangeRemote(UdxSocket socket, uint remoteId, IPEndPoint remote)
    {
        var route = Route(socket, remote);
        Task done;
        lock (_gate)
        {
            ThrowIfClosed();
            if (!_engine.IsConnected) throw new InvalidOperationException("Connect the stream before changing its remote.");
            _remoteChanged?.TrySetResult(); // a newer change supersedes it
            var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _remoteChanged = pending;
            if (_engine.ChangeRemote(route, remoteId))
            {
                pending.TrySetResult();
                _remoteChanged = null;
            }
            done = pending.Task;
            AfterWork();
        }
        UdxLog.StreamMoved(_log, LocalId, remoteId, remote);
        return done;
    }

    private UdxRoute Route(UdxSocket socket, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(remote);
        if (socket.Udx != _udx) throw new ArgumentException("The socket belongs to another Udx instance (stream ids are per instance).", nameof(socket));
        if (!socket.IsBound || socket.IsClosed) throw new InvalidOperationException("The socket is not bound, or closed.");
        if (remote.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("UDX streams are IPv4.", nameof(remote));
        if (remote.Port == 0) throw new ArgumentException("Port 0 is not a destination.", nameof(remote));
        return new UdxRoute(socket, remote);
    }

    // ---- messages, destroy ---------------------------------------------------------------------------

    /// <summary>Sends an unreliable MESSAGE datagram on the stream. False if not connected or closed.</summary>
    public bool SendMessage(ReadOnlySpan<byte> message)
    {
        if (message.Length > UdxSocket.MaxDatagramSize - 29 - UdxPacket.HeaderSize) throw new ArgumentException("The message is larger than a UDP datagram allows.", nameof(message));
        lock (_gate)
        {
            var sent = _engine.SendMessage(message);
            FlushSends();
            return sent;
        }
    }

    /// <summary>Aborts the stream: sends DESTROY (if connected) and closes at once. Idempotent.</summary>
    public void Destroy()
    {
        lock (_gate)
        {
            _engine.Destroy();
            AfterWork();
        }
        RunPendingCallbacks();
    }

    /// <summary>Destroys the stream if it is still open (a clean close needs both sides to complete their Output).</summary>
    public void Dispose() => Destroy();

    public ValueTask DisposeAsync()
    {
        Destroy();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        if (_engine.IsClosed) throw new ObjectDisposedException(ToString(), "The UDX stream is closed.");
    }

    // ---- statistics -----------------------------------------------------------------------------------

    /// <summary>Smoothed round-trip time (zero before the first sample).</summary>
    public TimeSpan Rtt => _engine.SmoothedRtt;

    /// <summary>Packets sent again (loss recovery, tail-loss probes that repeat a packet).</summary>
    public long Retransmits => _engine.Retransmits;

    public long PacketsSent => _engine.PacketsSent;
    public long PacketsReceived => _engine.PacketsReceived;

    /// <summary>Datagram bytes sent and received, headers included.</summary>
    public long BytesSent => _engine.BytesSent;
    public long BytesReceived => _engine.BytesReceived;

    /// <summary>Current MTU (IP packet size) of new packets: 1200 until probing finds more.</summary>
    public int Mtu => _engine.Mtu;

    public long RetransmissionTimeouts => _engine.RtoCount;
    public long FastRecoveries => _engine.FastRecoveries;
    public long TailLossProbes => _engine.TailLossProbes;
    public int CongestionWindow => _engine.Cwnd;

    /// <summary>Packets dropped and counted: malformed, over the receive window, acks for unsent data, invalid SACK blocks.</summary>
    public (long Malformed, long OverWindow, long AcksForUnsent, long InvalidSacks) Dropped
        => (_engine.DroppedMalformed, _engine.DroppedOverWindow, _engine.DroppedAcksForUnsent, _engine.DroppedInvalidSacks);

    public override string ToString() => _engine.ToString();
}
