// Why a connection was ended because of what the remote did, as opposed to a network failure or a
// protocol it speaks differently: too much of something (frames too large for the connection's
// state, too many channels, unknown-feed Opens, queued messages, messages per second, feeds
// introduced), or too slow to say who it is. Whoever admitted the connection reads it from
// ProtocolConnection.Error and backs the address off (Admission.AdmissionControl.Release).
namespace Cabal.Net;

public sealed class PeerAbuseException : Exception
{
    public PeerAbuseException(string reason, Exception? inner = null) : base(reason, inner) => Reason = reason;

    /// <summary>What the remote did, in a few words (logged, and the admission's backoff reason).</summary>
    public string Reason { get; }
}
