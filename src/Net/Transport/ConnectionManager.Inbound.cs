// Accept loop, and connections a SharedPeerListener routes here. Admission and capacity are checked
// before any protocol work: a refused socket is closed at once, so a flood of inbound connections
// costs an accept and a close each, not a handshake. Admission (per-address and per-prefix limits,
// fair pending slots, the penalty box; see Admission.AdmissionControl) comes first, so one source
// cannot fill the MaxConnections slots.
using Cabal.Net.Admission;

namespace Cabal.Net.Transport;

public sealed partial class ConnectionManager
{
    private AdmissionGate? _admission;

    /// <summary>The admission control of this manager's own listener (null when it has none, or admission is off).</summary>
    public AdmissionControl? Admission => _admission?.Control;

    private async Task AcceptLoopAsync(TcpPeerListener listener, CancellationToken ct)
    {
        if (_options.SharedAdmission is { } shared) _admission = new AdmissionGate(shared);
        else if (_options.Admission is { } admission)
            _admission = new AdmissionGate(new AdmissionControl(admission.WithDefaults(_options.TimeProvider, _options.LoggerFactory)));
        if (_admission is not null) _ = Track(_admission.SweepAsync(ct));

        while (await listener.AcceptNextAsync(_log, ct).ConfigureAwait(false) is { } socket)
        {
            AdmissionTicket? ticket = null;
            if (_admission is not null && (ticket = _admission.TryAdmit(socket)) is null) continue;

            if (!TryReserveSlot())
            {
                TransportLog.RefusedAtCapacity(_log, Internal.TcpSockets.RemoteEndPointOf(socket), _options.MaxConnections);
                socket.Dispose();
                if (ticket is not null) _admission!.Abandon(ticket);
                continue;
            }

            if (TcpPeerListener.TryWrapInbound(socket, _connectionOptions, _log) is not { } peer)
            {
                ReleaseSlot();
                if (ticket is not null) _admission!.Abandon(ticket);
                continue;
            }
            if (ticket is not null) _admission!.Attach(ticket, peer.Connection);
            _ = Track(HandleInboundAsync(peer, ticket, ct));
        }
    }

    private async Task HandleInboundAsync(PeerConnection peer, AdmissionTicket? ticket, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var established = await RunHandshakeAsync(peer, timeout.Token, ct).ConfigureAwait(false);
        // Over its address's or prefix's share of established connections (it was under at accept,
        // but others finished first): closed like one refused at capacity.
        if (established && ticket is not null && !_admission!.Control.TryEstablish(ticket))
        {
            peer.SetCloseReason(PeerCloseReason.AtCapacity);
            peer.Connection.Abort();
        }
    }

    /// <summary>
    /// Takes a connection from the shared listener: handshake done, started, and its receive loop is
    /// processing the remote's first Open, for our route key. The application callback runs now, so it
    /// can accept that channel. False (and nothing taken) when at capacity or shutting down.
    /// </summary>
    internal bool AdoptRouted(PeerConnection peer)
    {
        if (!TryReserveSlot())
        {
            TransportLog.RefusedAtCapacity(_log, peer.RemoteEndPoint, _options.MaxConnections);
            return false;
        }
        if (!TryTrack(peer))
        {
            ReleaseSlot();
            return false;
        }
        InvokeSafely(() => _onConnection(peer));
        Register(peer);
        return true;
    }
}
