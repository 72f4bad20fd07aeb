using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Tests;
using Cabal.Net.Transport;
using Cabal.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cabal.Interop.Tests.Net.Transport;

internal static class TransportTestKit
{
    /// <summary>Small delays so retry tests run in well under a second; loopback only.</summary>
    public static ConnectionManagerOptions FastOptions(TestLogger? log = null, NoiseKeyPair? key = null) => new()
    {
        StaticKeyPair = key ?? NoiseKeyPair.Generate(),
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        BaseDelay = TimeSpan.FromMilliseconds(20),
        MaxDelay = TimeSpan.FromMilliseconds(200),
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        DialTimeout = TimeSpan.FromSeconds(3),
        HandshakeTimeout = TimeSpan.FromSeconds(3),
        ShutdownTimeout = TimeSpan.FromSeconds(3),
        LoggerFactory = (ILoggerFactory?)log ?? NullLoggerFactory.Instance,
    };

    public static PeerAddress Loopback(int port) => PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, port));

    /// <summary>A loopback port that nothing listens on (bound once, then released).</summary>
    public static int FreePort() => Cabal.Tests.LoopbackTcp.ClosedPort();

    /// <summary>Polls <paramref name="condition"/> until true or the (bounded) timeout.</summary>
    public static Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null) => Cabal.Tests.Poll.UntilAsync(condition, timeout ?? TestKit.Timeout);
}
