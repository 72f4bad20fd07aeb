using System.Buffers;

namespace Cabal.Net.Protocol;

/// <summary>
/// One decoded frame (spec/hypercore.md §7.1). <see cref="Body"/> points into the reader's buffer and is
/// valid only until the reader is advanced past it; copy (or decode) before that.
/// </summary>
public readonly struct Frame
{
    public Frame(ulong channel, MessageType type, ReadOnlySequence<byte> body)
    {
        Channel = channel;
        Type = type;
        Body = body;
        IsKeepAlive = false;
    }

    private Frame(bool keepAlive)
    {
        IsKeepAlive = keepAlive;
        Body = ReadOnlySequence<byte>.Empty;
    }

    /// <summary>The zero-length frame (one 00 byte on the wire): a ping with no header and no body.</summary>
    public static Frame KeepAlive => new(keepAlive: true);

    public bool IsKeepAlive { get; }

    /// <summary>The sender's channel id (0 = the stream itself).</summary>
    public ulong Channel { get; }

    /// <summary>0..15; values 11..14 are not members of <see cref="MessageType"/> but can arrive.</summary>
    public MessageType Type { get; }

    public ReadOnlySequence<byte> Body { get; }

    public override string ToString() => IsKeepAlive ? "keep-alive" : $"ch{Channel} {Type} ({Body.Length} bytes)";
}
