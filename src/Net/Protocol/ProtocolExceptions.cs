// The exception types bad input can produce in the wire layer. Anything a remote peer sends maps to
// one of these; the connection loop catches ProtocolException and decides the blast radius:
//   NoiseHandshakeException, WireFormatException -> the byte stream is unusable: end the connection
//   InvalidMessageException                      -> one message body is bad: close that channel only
namespace Cabal.Net.Protocol;

public abstract class ProtocolException : Exception
{
    protected ProtocolException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Malformed framing (length or header varint, oversized frame): the stream is corrupt.</summary>
public sealed class WireFormatException : ProtocolException
{
    public WireFormatException(string message) : base(message) { }
}

/// <summary>
/// A frame longer than the connection allows in its state (e.g. before any channel is open), though
/// within the protocol's limit: the remote is sending what no honest peer sends then.
/// </summary>
public sealed class FrameTooLargeException : ProtocolException
{
    public FrameTooLargeException(ulong length, int limit)
        : base($"Frame of {length} bytes exceeds the {limit}-byte limit of the connection's state.")
    {
        Length = length;
        Limit = limit;
    }

    public ulong Length { get; }
    public int Limit { get; }
}

/// <summary>A well-framed message whose body does not decode (bad protobuf, missing required field).</summary>
public sealed class InvalidMessageException : ProtocolException
{
    public InvalidMessageException(ulong channel, MessageType type, string message, Exception? inner = null)
        : base($"{type} on channel {channel}: {message}", inner)
    {
        Channel = channel;
        Type = type;
    }

    public ulong Channel { get; }
    public MessageType Type { get; }
}
