// One inbound connection as admission control sees it: where it comes from, when it was let in,
// and whether it still waits (handshake, first Open) or is established. The ticket is plain state;
// the only I/O it knows is a "close" callback the owner attaches (AdmissionGate.Attach), which the
// control asks for when it evicts the connection or its pending deadline passes.
using System.Net;

namespace Cabal.Net.Admission;

public sealed class AdmissionTicket
{
    private Action? _closer;
    private int _closeRequested;

    internal AdmissionTicket(IPAddress address, UInt128 prefix, long admittedAt)
    {
        Address = address;
        Prefix = prefix;
        AdmittedAt = admittedAt;
    }

    /// <summary>The remote address (IPv4-mapped addresses read as IPv4).</summary>
    public IPAddress Address { get; }

    internal UInt128 Prefix { get; }

    /// <summary>When it was let in, as a timestamp of the control's clock.</summary>
    internal long AdmittedAt { get; }

    /// <summary>Where it stands; changed only under the control's lock.</summary>
    public AdmissionState State { get; internal set; } = AdmissionState.Pending;

    /// <summary>Node in the control's list of pending tickets, oldest first (null once not pending).</summary>
    internal LinkedListNode<AdmissionTicket>? PendingNode { get; set; }

    /// <summary>Sets what closing the connection means; if a close was asked for already, it runs now.</summary>
    internal void SetCloser(Action closer)
    {
        Volatile.Write(ref _closer, closer);
        if (Volatile.Read(ref _closeRequested) != 0) RunCloser();
    }

    /// <summary>Asks the owner to close the connection (once; later if no closer is attached yet).</summary>
    internal void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
        RunCloser();
    }

    private void RunCloser() => Interlocked.Exchange(ref _closer, null)?.Invoke();

    public override string ToString() => $"{Address} ({State})";
}

/// <summary>Where an admitted connection stands.</summary>
public enum AdmissionState
{
    /// <summary>Let in, not established yet: counted against the pending limits and deadline.</summary>
    Pending,
    /// <summary>Handshake done and routed: counted against the established limits.</summary>
    Established,
    /// <summary>Made room for a source holding fewer pending slots; no longer counted.</summary>
    Evicted,
    /// <summary>Its pending deadline passed; still counted until its connection has ended.</summary>
    Expired,
    /// <summary>Its connection ended; no longer counted.</summary>
    Released,
}

/// <summary>Why a connection was refused at accept.</summary>
public enum AdmissionRefusal
{
    None = 0,
    /// <summary>The address is in the penalty box (it was closed for abuse recently).</summary>
    Penalized,
    /// <summary>The address holds its share of pending connections.</summary>
    AddressPending,
    /// <summary>The address's /24 or /64 holds its share of pending connections.</summary>
    PrefixPending,
    /// <summary>The address holds its share of established connections.</summary>
    AddressEstablished,
    /// <summary>The address's /24 or /64 holds its share of established connections.</summary>
    PrefixEstablished,
    /// <summary>Every pending slot is taken, and no source holds more of them than this one's.</summary>
    Full,
}

/// <summary>
/// The outcome of <see cref="AdmissionControl.TryAdmit"/>: a ticket, or why not; and, when a slot was
/// made for it, the ticket whose connection the caller must close (see <see cref="AdmissionGate"/>).
/// </summary>
public readonly record struct AdmissionDecision(AdmissionTicket? Ticket, AdmissionRefusal Refusal, AdmissionTicket? Evicted)
{
    public bool Admitted => Ticket is not null;
}
