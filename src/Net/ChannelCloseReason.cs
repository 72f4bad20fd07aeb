namespace Cabal.Net;

/// <summary>Why a <see cref="ProtocolChannel"/> ended.</summary>
public enum ChannelCloseReason
{
    /// <summary><see cref="ProtocolChannel.Close"/> was called.</summary>
    LocalClose,

    /// <summary>The remote sent Close for this feed.</summary>
    RemoteClose,

    /// <summary>The remote's Open carried a capability that does not match the handshake (wrong or no feed key).</summary>
    CapabilityMismatch,

    /// <summary>A message on this channel did not decode; only this channel is closed.</summary>
    InvalidMessage,

    /// <summary>The whole connection ended.</summary>
    ConnectionEnded,
}
