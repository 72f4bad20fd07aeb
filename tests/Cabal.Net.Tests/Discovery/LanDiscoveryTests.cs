using System.Collections.Concurrent;
using System.Net;
using Cabal.Net.Crypto;
using Cabal.Net.Discovery;
using Cabal.Net.Transport;
using Cabal.Tests;
using static Cabal.Net.Tests.TestKit;

namespace Cabal.Net.Tests.Discovery;

// The discovery logic with its loops over an in-memory hub: no sockets. The real multicast socket
// (on 127.0.0.1 only) is tested in Cabal.Interop.Tests (LanDiscoveryLoopbackTests).
public sealed class LanDiscoveryTests
{
    [Fact]
    public async Task TwoInstancesFindEachOtherThroughAFakeTransport()
    {
        var hub = new MemoryDiscoveryHub();
        var (small, large) = OrderedKeys();
        var log = new TestLogger();
        await using var a = new LanDiscovery(small.PublicKey, FastLan() with { LoggerFactory = log }, null, () => hub.Join(IPAddress.Parse("127.0.0.1")), null);
        await using var b = new LanDiscovery(large.PublicKey, FastLan(), null, () => hub.Join(IPAddress.Parse("127.0.0.2")), null);
        var foundByA = new ConcurrentQueue<DiscoveredPeer>();
        var foundByB = new ConcurrentQueue<DiscoveredPeer>();
        a.PeerDiscovered += foundByA.Enqueue;
        b.PeerDiscovered += foundByB.Enqueue;
        a.JoinCabal(LanCabalKey, 1111);
        b.JoinCabal(LanCabalKey, 2222);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        a.Start();
        b.Start();

        // Garbage on the group does not stop anything.
        var rng = new Random(1);
        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[rng.Next(0, 600)];
            rng.NextBytes(junk);
            hub.Inject(junk, IPAddress.Parse("127.0.0.3"));
        }

        Assert.True(await Poll.UntilAsync(() => !foundByA.IsEmpty), log.ToString());
        var peer = foundByA.First();
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 2222), peer.EndPoint);
        Assert.Equal(large.PublicKey, peer.PeerId);
        Assert.Equal(HypercoreCrypto.DiscoveryKey(LanCabalKey), peer.Topic);
        Assert.Contains(log.Entries, e => e.Id.Id == 5002);

        // The larger id holds back during the grace period (nobody reports a connection here, so it dials after it).
        if (clock.Elapsed < TimeSpan.FromMilliseconds(400)) Assert.True(foundByB.IsEmpty);
        Assert.True(await Poll.UntilAsync(() => !foundByB.IsEmpty));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 1111), foundByB.First().EndPoint);

        // Only discovery keys on the wire, never the cabal key.
        byte[][] sent;
        lock (hub.Sent) sent = [.. hub.Sent];
        Assert.NotEmpty(sent);
        Assert.All(sent, d => Assert.Equal(-1, d.AsSpan().IndexOf(LanCabalKey)));
        Assert.All(sent, d => Assert.NotEqual(-1, d.AsSpan().IndexOf(HypercoreCrypto.DiscoveryKey(LanCabalKey))));
    }
}
