// Frame counters, for tests and measurements (e.g. "a reconnect costs messages in proportion to
// what changed"). Keepalives are not counted: they say nothing about the protocol's work.
namespace Cabal.Net;

public sealed partial class ProtocolConnection
{
    private long _framesSent;
    private long _framesReceived;
    private long _messagesDeferred;

    /// <summary>Frames (keepalives excluded) written to the transport so far.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames (keepalives excluded) received and dispatched so far.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Channel messages that waited for the send queue to drain before their handler saw them (see ProtocolConnection.Dispatch).</summary>
    public long MessagesDeferred => Interlocked.Read(ref _messagesDeferred);
}
