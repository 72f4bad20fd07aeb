// Log events of the dht-rpc layer: 7200–7299.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Dht;

internal static partial class DhtLog
{
    [LoggerMessage(7200, LogLevel.Information, "DHT node bound: server {Server}, client {Client}")]
    public static partial void Bound(ILogger logger, string server, string client);

    [LoggerMessage(7201, LogLevel.Warning, "Receiving datagrams failed")]
    public static partial void ReceiveFailed(ILogger logger, Exception error);

    [LoggerMessage(7202, LogLevel.Error, "A datagram handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(7203, LogLevel.Debug, "Bootstrapped: {Nodes} nodes in the table, firewalled {Firewalled}, ephemeral {Ephemeral}")]
    public static partial void Bootstrapped(ILogger logger, int nodes, bool firewalled, bool ephemeral);

    [LoggerMessage(7204, LogLevel.Information, "DHT node is persistent at {Address} (id {Id})")]
    public static partial void Persistent(ILogger logger, string address, string id);

    [LoggerMessage(7205, LogLevel.Debug, "NAT sample changed: {Host}:{Port}")]
    public static partial void NatUpdate(ILogger logger, string host, int port);

    [LoggerMessage(7206, LogLevel.Trace, "Dropped a datagram from {From}: {Reason}")]
    public static partial void Dropped(ILogger logger, string from, string reason);

    [LoggerMessage(7207, LogLevel.Error, "A request handler threw on command {Command}")]
    public static partial void RequestHandlerFailed(ILogger logger, ulong command, Exception error);

    [LoggerMessage(7208, LogLevel.Debug, "Firewall check: {Replies} of {Asked} nodes reached our server socket; firewalled {Firewalled}")]
    public static partial void FirewallCheck(ILogger logger, int replies, int asked, bool firewalled);

    [LoggerMessage(7209, LogLevel.Warning, "Bootstrap node {Node} could not be resolved")]
    public static partial void BootstrapUnresolved(ILogger logger, string node, Exception error);

    [LoggerMessage(7210, LogLevel.Debug, "Woke up after {Gap}: the node is ephemeral again")]
    public static partial void WokeUp(ILogger logger, TimeSpan gap);

    [LoggerMessage(7211, LogLevel.Error, "A DHT callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception error);
}
