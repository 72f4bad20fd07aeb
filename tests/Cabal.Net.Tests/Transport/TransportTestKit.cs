using System.Net;
using System.Net.Sockets;
using Cabal.Net.Crypto;
using Cabal.Net.Transport;

namespace Cabal.Net.Tests.Transport;

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
        Logger = log,
    };

    public static PeerAddress Loopback(int port) => PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, port));

    /// <summary>A loopback port that nothing listens on (bound once, then released).</summary>
    public static int FreePort() => Cabal.Tests.LoopbackTcp.ClosedPort();

    /// <summary>Polls <paramref name="condition"/> until true or the (bounded) timeout.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TestKit.Timeout);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(10);
        }
        return condition();
    }

    /// <summary>Key pairs in a known order (the duplicate rule and discovery compare public keys).</summary>
    public static (NoiseKeyPair Smaller, NoiseKeyPair Larger) OrderedKeys()
    {
        var a = NoiseKeyPair.Generate();
        var b = NoiseKeyPair.Generate();
        return a.PublicKey.AsSpan().SequenceCompareTo(b.PublicKey) < 0 ? (a, b) : (b, a);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
