namespace Cabal.Net.HyperDht;

/// <summary>A connection step failed; Code is hyperdht's (lib/errors.js), e.g. BAD_HANDSHAKE_REPLY, SERVER_ERROR, PEER_NOT_FOUND.</summary>
public sealed class HyperDhtException(string code, string message) : Exception($"{code}: {message}")
{
    public string Code { get; } = code;
}
