// The I/O side of admission control, for one accept loop: asks the control about each accepted
// socket (a refused one is closed at once, so it costs an accept and a close), ties each ticket to
// its connection (closing it when the control evicts or expires it, releasing the ticket when it
// ends, with its error so abuse is penalized), and sweeps expired pending tickets on a timer.
using System.Net;
using System.Net.Sockets;
using Cabal.Net.Internal;

namespace Cabal.Net.Admission;

internal sealed class AdmissionGate
{
    private readonly TimeProvider _time;

    public AdmissionGate(AdmissionControl control)
    {
        Control = control;
        _time = control.Options.TimeProvider;
    }

    public AdmissionControl Control { get; }

    /// <summary>A ticket for the socket, or null with the socket closed.</summary>
    public AdmissionTicket? TryAdmit(Socket socket)
    {
        IPAddress address;
        try
        {
            address = TcpSockets.RemoteEndPointOf(socket).Address;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose(); // gone between accept and here
            return null;
        }
        var decision = Control.TryAdmit(address);
        decision.Evicted?.RequestClose();
        if (decision.Ticket is null) socket.Dispose();
        return decision.Ticket;
    }

    /// <summary>Closes <paramref name="connection"/> when the control says so; releases the ticket when it ends.</summary>
    public void Attach(AdmissionTicket ticket, ProtocolConnection connection)
    {
        _ = connection.Completion.ContinueWith(_ => Control.Release(ticket, connection.Error), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        ticket.SetCloser(() => connection.Abort(new TimeoutException($"Admission closed the connection ({ticket.State}).")));
    }

    /// <summary>A ticket whose connection never came to exist (the socket died before it was wrapped).</summary>
    public void Abandon(AdmissionTicket ticket) => Control.Release(ticket, null);

    /// <summary>Closes expired pending connections every quarter of the shortest deadline, until cancelled.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        var interval = Control.Options.MinPendingTimeout / 4;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                foreach (var t in Control.TakeExpired()) t.RequestClose();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }
}
