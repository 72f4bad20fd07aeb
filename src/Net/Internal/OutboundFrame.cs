using System.Buffers;

namespace Cabal.Net.Internal;

internal enum OutboundKind : byte
{
    /// <summary>A plaintext frame serialised at enqueue time into a pooled buffer.</summary>
    Frame,

    /// <summary>An Open whose capability can only be computed once the handshake split exists.</summary>
    Open,

    /// <summary>A keep-alive (one 00 byte).</summary>
    Ping,
}

/// <summary>One entry of the send queue. Frames own a rented buffer until the writer returns it.</summary>
internal readonly struct OutboundFrame
{
    private OutboundFrame(OutboundKind kind, byte[]? buffer, int length, ProtocolChannel? channel)
    {
        Kind = kind;
        Buffer = buffer;
        Length = length;
        Channel = channel;
    }

    public OutboundKind Kind { get; }
    public byte[]? Buffer { get; }
    public int Length { get; }
    public ProtocolChannel? Channel { get; }

    public static OutboundFrame Rent(int length) => new(OutboundKind.Frame, ArrayPool<byte>.Shared.Rent(length), length, null);

    public static OutboundFrame Open(ProtocolChannel channel) => new(OutboundKind.Open, null, 80, channel);

    public static OutboundFrame Ping() => new(OutboundKind.Ping, null, 1, null);

    public void Release()
    {
        if (Buffer is not null) ArrayPool<byte>.Shared.Return(Buffer);
    }
}
