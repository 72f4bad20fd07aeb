namespace Cabal.Net.Udx;

/// <summary>Why a UDX stream closed with an error.</summary>
public enum UdxError
{
    /// <summary>The peer sent DESTROY (libudx: ECONNRESET, "connection reset by peer").</summary>
    ConnectionReset,

    /// <summary>A packet went unacknowledged through too many retransmission timeouts (libudx: ETIMEDOUT).</summary>
    TimedOut,

    /// <summary>Nothing arrived for <see cref="UdxOptions.IdleTimeout"/>.</summary>
    IdleTimeout,

    /// <summary>The stream was destroyed locally (reported to readers and writers, not as the close reason).</summary>
    Destroyed,

    /// <summary>The socket the stream was sending from was closed.</summary>
    SocketClosed,
}

/// <summary>A UDX stream failed; <see cref="Error"/> says how.</summary>
public sealed class UdxException : IOException
{
    public UdxException(UdxError error, string? message = null)
        : base(message ?? Describe(error)) => Error = error;

    public UdxError Error { get; }

    private static string Describe(UdxError error) => error switch
    {
        UdxError.ConnectionReset => "The UDX stream was reset by the peer (DESTROY).",
        UdxError.TimedOut => "The UDX stream timed out: the peer stopped acknowledging data.",
        UdxError.IdleTimeout => "The UDX stream was idle for longer than its idle timeout.",
        UdxError.Destroyed => "The UDX stream was destroyed.",
        UdxError.SocketClosed => "The UDX stream's socket was closed.",
        _ => "The UDX stream failed.",
    };
}
