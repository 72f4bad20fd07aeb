using Google.Protobuf;

namespace Cabal.Multifeed.Replication;

/// <summary>
/// One feed's channel on one connection, as the replication state machine sees it. The connection
/// layer (Cabal.Net) implements it; tests can implement it in memory.
/// </summary>
public interface IFeedChannel
{
    /// <summary>Who is on the other end (the remote's Noise static key, hex), for logs and ack tracking.</summary>
    string RemoteId { get; }

    /// <summary>Whether the remote asked us, in its Options, to acknowledge every block it sends.</summary>
    bool RemoteAck { get; }

    /// <summary>
    /// Queues a channel message (Status, Have, Unhave, Want, Request, Data…). Never blocks: the
    /// connection bounds its memory by pausing its reads while its send buffer is full.
    /// </summary>
    void Send(IMessage message);

    /// <summary>Announces our options for this channel (the ack flag, together with the extension names).</summary>
    void SetLocalAck(bool ack);

    /// <summary>Closes this feed's channel only; the connection and its other channels carry on.</summary>
    void Close(string reason);

    /// <summary>
    /// Ends the whole connection because the remote abused it (issue 20: over a per-connection cap).
    /// By default closes this feed's channel only, for channels that have no connection of their own.
    /// </summary>
    void Abort(string reason) => Close(reason);
}
