using System.Net;
using Cabal.Interop.Tests.Dht;
using Cabal.Interop.Tests.Js;
using Cabal.Net.Admission;
using Cabal.Net.Compact;
using Cabal.Net.Dht;
using Cabal.Net.HyperDht;
using static Cabal.Interop.Tests.Udx.UdxTestKit;

namespace Cabal.Interop.Tests.Hostile;

// Issue 20: the admission limits apply to DHT (UDX) connections too. A raw attacker on 127.0.0.1
// sends PEER_HANDSHAKE straight to the server, 200 times with fresh keys, and then goes silent: each
// answered handshake would hold a UDX stream whose secret-stream never starts. The server's global
// handshake table is set below 200 here so that, without per-source bounds, the flood alone fills it
// (the default 4096 only takes a longer flood). With admission, one address holds at most its share
// of pending connections and handshakes, the silent ones are cut at the pending deadline, and a
// client from 127.0.0.2 connects and echoes meanwhile.
[Collection(DhtInteropCollection.Name)]
public sealed class DhtAdmissionTests : JsInteropTest
{
    private const int HalfOpen = 200;
    private static readonly TimeSpan Bound = DhtTestnet.Timeout;

    private async Task<HyperDht> NodeAsync(HyperDhtOptions options)
    {
        var dht = Track(new HyperDht(options with { QuickFirewall = false }));
        await dht.StartAsync();
        await dht.WaitReadyAsync().WaitAsync(Bound);
        return dht;
    }

    [Fact]
    public async Task TwoHundredHalfOpenHandshakesFromOneAddress_DoNotKeepAClientFromAnotherAddressOut()
    {
        var testnet = Track(await CSharpTestnet.StartAsync(4));
        var admission = new AdmissionOptions { PendingTimeout = TimeSpan.FromSeconds(4), MinPendingTimeout = TimeSpan.FromSeconds(2) };
        var serverNode = await NodeAsync(testnet.Options() with { MaxPendingHandshakes = 150, Admission = admission });
        var accepted = new List<HyperDhtConnection>();
        var server = serverNode.Listen(HyperDhtKeys.KeyPair(), c =>
        {
            lock (accepted) accepted.Add(c);
            _ = EchoAsync(c);
        });
        await Js.Loopback.Eventually(() => server.Relays.Count > 0, "the server's self-announce", Bound);
        var control = serverNode.Admission!;

        // The attacker: a plain client node on 127.0.0.1 sending raw PEER_HANDSHAKEs to the server's own
        // address (a direct handshake: the server connects its stream back at once and waits for a
        // secret-stream header that never comes).
        var attacker = await NodeAsync(testnet.Options());
        var to = serverNode.Node.ServerAddress;
        var answered = 0;
        var flood = Enumerable.Range(0, HalfOpen).Select(async i =>
        {
            using var hs = new ClientHandshake(HyperDhtKeys.KeyPair(), server.PublicKey,
                new NoisePayload { Firewall = FirewallType.Open, Udx = new UdxInfo((uint)(1000 + i)), SecretStream = 1, Addresses4 = [] });
            try
            {
                var reply = await attacker.Node.RequestAsync(to, new DhtRequestOptions
                {
                    Command = HyperDhtCommand.PeerHandshake, Target = hs.Target, Value = hs.RequestValue(), Retries = 0,
                    AttemptTimeout = TimeSpan.FromSeconds(2),
                });
                if (reply.Value is { Length: > 0 }) Interlocked.Increment(ref answered);
            }
            catch (DhtRequestException) { } // refused: no reply
        }).ToList();
        await Task.WhenAll(flood).WaitAsync(Bound);

        var attackerAddress = new Ipv4EndPoint(0x7f000001, 0);
        Assert.True(answered <= admission.MaxPendingPerAddress + 2,
            $"one address got {answered} of {HalfOpen} handshakes answered (its share is {admission.MaxPendingPerAddress} pending); pending {control.PendingCount} expired {control.ExpiredCount} refused {control.RefusedCount} admitted {control.AdmittedCount} perhost {server.Responder.RefusedPerHost} udx {serverNode.Udx!.StreamCount}");
        Assert.True(server.Responder.PendingFrom(attackerAddress) <= serverNode.Options.MaxHandshakesPerHost);
        Assert.True(server.Responder.RefusedByAdmission + server.Responder.RefusedPerHost > 0);
        Assert.True(control.PendingCount <= admission.MaxPendingPerAddress, $"{control.PendingCount} pending");

        // A legitimate client from another loopback address connects and echoes while the flood holds its slots.
        var legitimate = await NodeAsync(testnet.Options() with { Host = HostileTestKit.Legitimate });
        await using (var connection = await legitimate.ConnectAsync(server.PublicKey).WaitAsync(Bound))
        {
            var read = ReadAllAsync(connection.Input);
            await WritePatternAsync(connection.Output, 64 << 10);
            Assert.Equal((64L << 10, PatternSha256(64 << 10)), await read.WaitAsync(Bound));
        }

        lock (accepted) Assert.Contains(accepted, c => HostileTestKit.Legitimate.Equals(c.RemoteEndPoint?.Address));

        // The silent ones are cut at the pending deadline: nothing from the attacker stays pending.
        await Js.Loopback.Eventually(() => control.PendingCount == 0 && control.ExpiredCount > 0, "the half-open connections to expire", Bound);
        Assert.True(server.Connections >= 1);
    }
}
