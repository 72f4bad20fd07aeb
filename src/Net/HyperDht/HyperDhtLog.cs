// Log events of the HyperDHT layer: 7300–7399.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.HyperDht;

internal static partial class HyperDhtLog
{
    [LoggerMessage(7300, LogLevel.Information, "HyperDHT storage enabled: this node is persistent")]
    public static partial void StorageEnabled(ILogger logger);

    [LoggerMessage(7301, LogLevel.Debug, "Announced {Topic} to {Nodes} nodes")]
    public static partial void Announced(ILogger logger, string topic, int nodes);

    [LoggerMessage(7302, LogLevel.Debug, "Unannounced {Topic} from {Nodes} nodes")]
    public static partial void Unannounced(ILogger logger, string topic, int nodes);

    [LoggerMessage(7303, LogLevel.Debug, "Lookup of {Topic}: {Peers} peers from {Replies} replies")]
    public static partial void LookedUp(ILogger logger, string topic, int peers, int replies);

    [LoggerMessage(7304, LogLevel.Warning, "A relay ping or re-announce failed")]
    public static partial void AnnouncerFailed(ILogger logger, Exception error);

    [LoggerMessage(7305, LogLevel.Debug, "Refused a handshake: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, string reason);

    [LoggerMessage(7306, LogLevel.Debug, "Accepted a connection from {PublicKey} via {Path}")]
    public static partial void ServerConnection(ILogger logger, string publicKey, string path);

    [LoggerMessage(7307, LogLevel.Warning, "A server's connection handler threw")]
    public static partial void ConnectionHandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(7308, LogLevel.Debug, "Dropped a holepunch payload from {From} that did not open")]
    public static partial void HolepunchUndecryptable(ILogger logger, string from);

    [LoggerMessage(7309, LogLevel.Debug, "Connected to {PublicKey} via {Path} in {Rounds} holepunch rounds")]
    public static partial void ClientConnected(ILogger logger, string publicKey, string path, int rounds);

    [LoggerMessage(7310, LogLevel.Debug, "Connecting to {PublicKey} failed: {Reason}")]
    public static partial void ClientFailed(ILogger logger, string publicKey, string reason);

    [LoggerMessage(7311, LogLevel.Debug, "Holepunch with {PublicKey}: local {Local}, remote {Remote}, round {Round}")]
    public static partial void HolepunchRound(ILogger logger, string publicKey, string local, string remote, ulong round);

    [LoggerMessage(7312, LogLevel.Debug, "A client of {PublicKey} did not reach us in time; its stream is dropped")]
    public static partial void ServerAttemptAborted(ILogger logger, string publicKey);
}
