// Log events of the UDX layer: 7100–7199.
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Udx.Internal;

internal static partial class UdxLog
{
    [LoggerMessage(7101, LogLevel.Debug, "UDX socket bound to {EndPoint}")]
    public static partial void Bound(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(7102, LogLevel.Warning, "Receiving on UDX socket {EndPoint} failed")]
    public static partial void ReceiveFailed(ILogger logger, IPEndPoint? endPoint, Exception error);

    [LoggerMessage(7103, LogLevel.Warning, "The datagram handler of UDX socket {EndPoint} threw (datagram from {From})")]
    public static partial void HandlerFault(ILogger logger, IPEndPoint? endPoint, IPEndPoint from, Exception error);

    [LoggerMessage(7104, LogLevel.Warning, "The firewall hook of UDX stream {StreamId} threw; the packet from {From} was dropped")]
    public static partial void FirewallFault(ILogger logger, uint streamId, IPEndPoint from, Exception error);

    [LoggerMessage(7105, LogLevel.Debug, "Sending a datagram to {To} failed: {Error}")]
    public static partial void SendFailed(ILogger logger, IPEndPoint? to, string error);

    [LoggerMessage(7106, LogLevel.Debug, "UDX stream {LocalId} connected to stream {RemoteId} at {Remote}")]
    public static partial void StreamConnected(ILogger logger, uint localId, uint remoteId, IPEndPoint remote);

    [LoggerMessage(7107, LogLevel.Debug, "UDX stream {LocalId} closed: {Reason}")]
    public static partial void StreamClosed(ILogger logger, uint localId, string reason);

    [LoggerMessage(7108, LogLevel.Debug, "UDX stream {LocalId} moved to stream {RemoteId} at {Remote}")]
    public static partial void StreamMoved(ILogger logger, uint localId, uint remoteId, IPEndPoint remote);

    [LoggerMessage(7109, LogLevel.Warning, "UDX fault injection is on for socket {EndPoint}: {Faults}")]
    public static partial void FaultInjection(ILogger logger, IPEndPoint? endPoint, UdxFaultInjection faults);

    [LoggerMessage(7110, LogLevel.Error, "A UDX stream callback threw on stream {LocalId}")]
    public static partial void CallbackFault(ILogger logger, uint localId, Exception error);

    [LoggerMessage(7111, LogLevel.Error, "UDX stream {LocalId} failed internally and was destroyed")]
    public static partial void StreamFault(ILogger logger, uint localId, Exception error);
}
