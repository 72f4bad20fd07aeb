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
}
