using Cabal.Net.Protocol;

namespace Cabal.Net.Noise;

/// <summary>
/// The handshake failed: bad framing, a failed AEAD tag, a low-order key, or a missing or unparsable
/// NoisePayload. The connection cannot continue.
/// </summary>
public sealed class NoiseHandshakeException : ProtocolException
{
    public NoiseHandshakeException(string message, Exception? inner = null) : base(message, inner) { }
}
