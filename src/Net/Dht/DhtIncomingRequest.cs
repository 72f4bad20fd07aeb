// A request someone sent us, with the ways to answer it (dht-rpc io.js Request: reply, error, relay).
// Replies and relays go out of the socket the request arrived on unless told otherwise, carry our id
// only if we are persistent and answer from our server socket, and may carry a write token for the
// requester and the nodes we know closest to the request's target.
using Cabal.Net.Compact;

namespace Cabal.Net.Dht;

public sealed class DhtIncomingRequest
{
    private readonly DhtNode _node;

    internal DhtIncomingRequest(DhtNode node, IDatagramSocket socket, Ipv4EndPoint from, DhtRequest message)
    {
        _node = node;
        Socket = socket;
        From = from;
        Message = message;
    }

    public DhtRequest Message { get; }

    public IDatagramSocket Socket { get; }

    /// <summary>The UDP source.</summary>
    public Ipv4EndPoint From { get; }

    /// <summary>The sender's id, only if it matched the source (persistent senders).</summary>
    public byte[]? FromId => Message.Id;

    /// <summary>Our address as the sender addressed us.</summary>
    public Ipv4EndPoint To => Message.To;

    public ushort Tid => Message.Tid;
    public ulong Command => Message.Command;
    public bool Internal => Message.Internal;
    public byte[]? Target => Message.Target;
    public byte[]? Token => Message.Token;
    public byte[]? Value => Message.Value;

    /// <summary>Answers with <paramref name="value"/> (dht-rpc req.reply: token and closer nodes by default).</summary>
    public void Reply(byte[]? value, bool token = true, bool closerNodes = true, Ipv4EndPoint? to = null, IDatagramSocket? socket = null)
        => _node.SendReply(this, DhtErrorCode.None, value, token, closerNodes, to ?? From, socket ?? Socket);

    /// <summary>Answers with an error code (dht-rpc req.error: no token unless asked, closer nodes by default).</summary>
    public void Error(ulong code, bool token = false, bool closerNodes = true, Ipv4EndPoint? to = null, IDatagramSocket? socket = null)
        => _node.SendReply(this, code, null, token, closerNodes, to ?? From, socket ?? Socket);

    /// <summary>
    /// Forwards this request (same tid, command and target, no token) with a new value to
    /// <paramref name="to"/>: how hyperdht relays handshakes (dht-rpc req.relay).
    /// </summary>
    public void Relay(byte[]? value, Ipv4EndPoint to, IDatagramSocket? socket = null)
        => _node.SendRelay(this, value, to, socket ?? Socket);
}
